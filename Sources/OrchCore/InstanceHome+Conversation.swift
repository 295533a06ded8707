import Foundation

extension InstanceHome {
    /// The session id of the instance's conversation, written at each SessionStart.
    var sessionRecord: String { path + "/.orch/session-id" }
    /// When present, the next container start resumes this session instead of starting fresh.
    public var resumeSessionFile: String { path + "/.orch/resume-session" }
    /// The prompt a resumed session starts its turn with.
    public var resumePromptFile: String { path + "/.orch/resume-prompt.md" }
    /// Where Claude Code keeps the instance's transcripts (one folder per working directory).
    var transcriptsDirectory: String { claudeDirectory + "/projects" }

    /// The shell command a container runs: its clone made or brought up to date
    /// over the channel (`orch checkout`), then Claude Code resuming the recorded
    /// conversation when ``prepareStart(resuming:prompt:)`` asked for it, else
    /// starting fresh with the role prompt.
    public static let containerCommand = """
        orch checkout || exit 1; o="$HOME/.orch"; \
        if [ -s "$o/resume-session" ]; then \
        exec claude --dangerously-skip-permissions --resume "$(cat "$o/resume-session")" "$(cat "$o/resume-prompt.md")"; \
        else exec claude --dangerously-skip-permissions "$(cat "$o/prompt.md")"; fi
        """

    /// Remembers the session a SessionStart hook reported, so a restart or a later `orch serve` resumes it.
    /// - Parameters:
    ///   - sessionID: the hook's `session_id`.
    /// - Throws: ``OrchError`` for an id that is not a session id, or when the file cannot be written.
    public func recordSession(_ sessionID: String) throws {
        guard Self.isSessionID(sessionID) else { throw OrchError.usage("not a session id: \(sessionID.prefix(80))") }
        try files.write(Data(sessionID.utf8), to: ".orch/session-id")
    }

    /// The conversation to resume: the recorded session when its transcript
    /// exists, else the newest transcript (the hook may not have reached the
    /// server), else nil.
    public func lastSessionID() -> String? {
        let transcripts = self.transcripts()
        if let recorded = files.read(".orch/session-id", limit: 256).map({ String(decoding: $0, as: UTF8.self) }),
           transcripts.contains(where: { $0.id == recorded }) {
            return recorded
        }
        return transcripts.max(by: { $0.modified < $1.modified })?.id
    }

    /// The newest write to any of the instance's transcripts.
    public func lastTranscriptWrite() -> Date? {
        transcripts().map(\.modified).max()
    }

    /// Sets what the next container start runs.
    /// - Parameters:
    ///   - session: the conversation to resume, or nil to start fresh with the role prompt.
    ///   - prompt: the first instruction of the resumed turn.
    /// - Throws: ``OrchError`` when the files cannot be written.
    public func prepareStart(resuming session: String?, prompt: String) throws {
        guard let session else {
            files.remove(".orch/resume-session")
            return
        }
        guard Self.isSessionID(session) else { throw OrchError.usage("not a session id: \(session.prefix(80))") }
        try files.write(Data(prompt.utf8), to: ".orch/resume-prompt.md")
        try files.write(Data(session.utf8), to: ".orch/resume-session")
    }

    private func transcripts() -> [(id: String, modified: Date)] {
        let fileManager = FileManager.default
        guard let projects = try? fileManager.contentsOfDirectory(atPath: transcriptsDirectory) else { return [] }
        var found: [(String, Date)] = []
        for project in projects {
            let folder = transcriptsDirectory + "/" + project
            for file in (try? fileManager.contentsOfDirectory(atPath: folder)) ?? [] where file.hasSuffix(".jsonl") {
                let id = String(file.dropLast(".jsonl".count))
                guard Self.isSessionID(id),
                      let modified = (try? fileManager.attributesOfItem(atPath: folder + "/" + file))?[.modificationDate] as? Date else { continue }
                found.append((id, modified))
            }
        }
        return found
    }

    /// The last `limit` bytes of a transcript the instance named (a hook's
    /// `transcript_path`): only a regular file under its own transcripts folder.
    public func transcriptTail(_ transcriptPath: String, limit: Int = 65_536) -> Data? {
        guard let relative = files.relativePath(of: transcriptPath), relative.hasPrefix(".claude/projects/"),
              relative.hasSuffix(".jsonl") else { return nil }
        return files.read(relative, limit: limit, tail: true)
    }

    /// Up to `limit` bytes of a transcript the instance named from `offset` on (see ``transcriptTail(_:limit:)`` for
    /// which files), with the file's size and where the read began.
    public func transcriptChunk(_ transcriptPath: String, from offset: Int, limit: Int = 4 << 20) -> (bytes: Data, size: Int, from: Int)? {
        guard let relative = files.relativePath(of: transcriptPath), relative.hasPrefix(".claude/projects/"),
              relative.hasSuffix(".jsonl") else { return nil }
        return files.read(relative, from: offset, limit: limit)
    }

    /// Session ids are UUIDs; anything else is refused before it reaches a shell or a path.
    static func isSessionID(_ text: String) -> Bool {
        (8...64).contains(text.count) && text.allSatisfy { $0.isHexDigit || $0 == "-" }
    }
}
