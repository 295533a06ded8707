import Foundation

/// orch's own tmux server (its own socket, so a person's sessions are never
/// touched), one session per instance.
///
/// ```swift
/// let tmux = Tmux(socket: "orch-myrepo")
/// try await tmux.startSession("worker-1", command: "docker-compose … run worker-1", logFile: "/state/logs/worker-1.log")
/// try await tmux.type("worker-1", "Next task: …")
/// ```
public struct Tmux: Sendable {
    /// The socket name (`tmux -L NAME`).
    public let socket: String

    /// - Parameters:
    ///   - socket: the socket name, unique per state directory.
    public init(socket: String) {
        self.socket = socket
    }

    @discardableResult
    private func tmux(_ arguments: [String], allowFailure: Bool = false) async throws -> String {
        try await runCommand("tmux", ["-L", socket] + arguments, allowFailure: allowFailure)
    }

    /// Starts a detached session running `command` (a shell command line), its
    /// pane's output appended to `logFile`. When the command ends the pane
    /// stays, dead, with its exit status (see ``panes()``), until the session is killed.
    /// - Parameters:
    ///   - name: the session's name.
    ///   - command: what the session runs.
    ///   - environment: variables for the command.
    ///   - logFile: where pane output goes.
    ///   - width: the pane's width.
    ///   - height: the pane's height.
    /// - Throws: ``RuntimeError`` when tmux fails (a session of that name exists, say).
    public func startSession(_ name: String, command: String, environment: [String: String] = [:], logFile: String?, width: Int = 200, height: Int = 50) async throws {
        var arguments = ["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height)]
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) { arguments += ["-e", "\(key)=\(value)"] }
        arguments.append(command)
        // One tmux call: the options apply before the command can end, and a process start is saved.
        arguments += [";", "set-option", "-w", "-t", target(name), "remain-on-exit", "on"]
        if let logFile {
            let folder = (logFile as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // The shell's `>>` would create it with the umask's mode (0644).
            if !FileManager.default.fileExists(atPath: logFile) {
                FileManager.default.createFile(atPath: logFile, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: logFile)
            arguments += [";", "pipe-pane", "-o", "-t", target(name), "cat >> \(shellQuoted(logFile))"]
        }
        try await tmux(arguments)
    }

    /// A session's pane as the health check sees it.
    public struct Pane: Sendable, Equatable {
        /// The command ended (the pane stays because of remain-on-exit).
        public var dead: Bool
        /// The command's exit status, when dead.
        public var exitStatus: Int?
    }

    /// Every session's pane, by session name (empty when the server is not running).
    /// - Throws: ``RuntimeError`` when tmux cannot run.
    public func panes() async throws -> [String: Pane] {
        let output = try await tmux(["list-panes", "-a", "-F", "#{session_name}\t#{pane_dead}\t#{pane_dead_status}"], allowFailure: true)
        var panes: [String: Pane] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            panes[fields[0]] = Pane(dead: fields[1] == "1", exitStatus: Int(fields[2]))
        }
        return panes
    }

    /// Whether a session of that name runs.
    /// - Parameters:
    ///   - name: the session's name.
    /// - Throws: ``RuntimeError`` when tmux cannot run.
    public func hasSession(_ name: String) async throws -> Bool {
        try await sessions().contains(name)
    }

    /// The names of the sessions on orch's server (none when it is not running).
    /// - Throws: ``RuntimeError`` when tmux cannot run.
    public func sessions() async throws -> [String] {
        let output = try await tmux(["list-sessions", "-F", "#{session_name}"], allowFailure: true)
        return output.split(separator: "\n").map(String.init)
    }

    /// Types text into a session's pane, then presses Enter.
    /// - Parameters:
    ///   - name: the session's name.
    ///   - text: what to type (sent literally).
    ///   - submit: press Enter afterwards.
    /// - Throws: ``RuntimeError`` when the session is gone.
    public func type(_ name: String, _ text: String, submit: Bool = true) async throws {
        try await tmux(["send-keys", "-t", target(name), "-l", Self.printable(text)])
        if submit { try await tmux(["send-keys", "-t", target(name), "Enter"]) }
    }

    /// Pastes text into a session's pane as one bracketed paste, waits, then presses Enter.
    ///
    /// Typed key by key, a long line arrives as a burst that Claude Code's input
    /// takes for a paste, and an Enter sent right behind it becomes a newline in
    /// the input instead of submitting it.
    /// - Parameters:
    ///   - name: the session's name.
    ///   - text: what to paste.
    ///   - pause: the wait between the paste and Enter.
    /// - Throws: ``RuntimeError`` when the session is gone.
    public func paste(_ name: String, _ text: String, pause: Duration = .milliseconds(300)) async throws {
        let buffer = "orch-\(name)"
        try await tmux(["set-buffer", "-b", buffer, "--", Self.printable(text), ";", "paste-buffer", "-p", "-d", "-b", buffer, "-t", target(name)])
        try await Task.sleep(for: pause)
        try await tmux(["send-keys", "-t", target(name), "Enter"])
    }

    /// The text without control characters but newline and tab: task text comes from
    /// task lists anyone with push access edits, and an escape sequence typed into a
    /// pane (one ending the bracketed paste, say) would be a keystroke of its own.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            scalar == "\n" || scalar == "\t" || !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
        }))
    }

    /// What the session's pane shows now.
    /// - Parameters:
    ///   - name: the session's name.
    /// - Throws: ``RuntimeError`` when the session is gone.
    public func capture(_ name: String) async throws -> String {
        try await tmux(["capture-pane", "-p", "-t", target(name)])
    }

    /// Ends a session (its command gets SIGHUP).
    /// - Parameters:
    ///   - name: the session's name.
    /// - Throws: ``RuntimeError`` when tmux cannot run; a missing session is fine.
    public func killSession(_ name: String) async throws {
        try await tmux(["kill-session", "-t", target(name)], allowFailure: true)
    }

    /// Ends orch's tmux server and every session on it.
    /// - Throws: ``RuntimeError`` when tmux cannot run.
    public func killServer() async throws {
        try await tmux(["kill-server"], allowFailure: true)
        // tmux 3.3 can leave the socket file behind; it is only a name, so drop it.
        let base = ProcessInfo.processInfo.environment["TMUX_TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        try? FileManager.default.removeItem(atPath: "\(base)/tmux-\(getuid())/\(socket)")
    }

    /// Replaces this process with `tmux attach` to a session (for `orch attach`).
    /// - Parameters:
    ///   - name: the session's name.
    /// - Throws: ``RuntimeError`` when the session is missing or tmux cannot start.
    public func attachReplacingProcess(_ name: String) async throws -> Never {
        guard try await hasSession(name) else {
            throw RuntimeError(code: .commandFailed, command: attachCommand(name), message: "no session \(name) is running (is orch serve running on this state?)")
        }
        let arguments = attachCommand(name)
        var pointers = arguments.map { strdup($0) } + [nil]
        execvp("tmux", &pointers)
        throw RuntimeError(code: .programMissing, command: arguments, message: "cannot run tmux: \(String(cString: strerror(errno)))")
    }

    /// The command line a person runs to attach to a session.
    /// - Parameters:
    ///   - name: the session's name.
    public func attachCommand(_ name: String) -> [String] {
        ["tmux", "-L", socket, "attach-session", "-t", target(name)]
    }

    /// `=name` matches the session exactly, not by prefix.
    private func target(_ name: String) -> String { "=\(name):" }
}

/// Quotes a string for a POSIX shell.
/// - Parameters:
///   - text: any string.
public func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
