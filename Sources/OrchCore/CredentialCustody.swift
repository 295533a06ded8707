import Foundation

/// orch's keeping of OAuth credential files. Claude Code refreshes its access
/// token by rewriting the instance's copy (`~/.claude/.credentials.json`),
/// and a refresh token works once: the file in `claudeConfigs`, and any copy
/// made from it later, then holds a dead one. So orch takes the refreshed
/// copy back whenever it sees one (on an instance's hook events, before it
/// moves an instance off the file, before a new server rewrites the homes),
/// keeps the freshest in `<state>/run/credentials/` (0600), gives that to the
/// file's next holder, and writes it back to the source file when it may.
///
/// "Fresher" is a later `claudeAiOauth.expiresAt`: a refresh always moves it
/// on. The instance's home is the container's to write, so what it holds is
/// read confined (no link followed, a regular file of at most 64 KiB) and taken
/// only when it is an OAuth credential that expires later than the one kept.
///
/// ```swift
/// let custody = CredentialCustody(layout: layout, writeBack: config.writeBackCredentials)
/// custody.capture(from: InstanceHome(instance: .worker(2), layout: layout), file: file)
/// let data = custody.freshest(file)   // what the next holder gets
/// ```
public struct CredentialCustody: Sendable {
    /// The folder of the kept copies (in the server's private `run/`).
    public let directory: String
    /// Write a fresher copy back to the source file (when it is writable).
    public let writeBack: Bool

    public init(layout: StateLayout, writeBack: Bool = true) {
        directory = layout.credentialCopies
        self.writeBack = writeBack
    }

    /// The largest credential file read from a home.
    static let limit = 64 << 10

    /// What the file's next holder gets: the kept copy or the file itself, whichever expires later.
    public func freshest(_ file: CredentialFile) -> Data? {
        let source = FileManager.default.contents(atPath: file.path)
        guard file.kind == .oauth, let kept = read(copyName(of: file)) else { return source }
        guard let source else { return kept }
        return Self.expiry(of: kept) ?? 0 > Self.expiry(of: source) ?? 0 ? kept : source
    }

    /// Takes the home's copy of `file` when it is fresher than what orch holds.
    /// - Returns: whether it was taken.
    /// - Throws: ``OrchError`` when the kept copy cannot be written (the source file failing is only logged by the caller's choice: it is not thrown).
    @discardableResult
    public func capture(from home: InstanceHome, file: CredentialFile, now: Date = Date()) throws -> Bool {
        guard file.kind == .oauth, let held = home.files.read(InstanceHome.credentialsFile, limit: Self.limit),
              let login = Self.login(in: held), let expiry = Self.expiry(of: held),
              // A refresh gives hours; a login claiming to last longer than this is not one, and would outlast any later fix.
              expiry <= now.addingTimeInterval(Self.longestLogin).timeIntervalSince1970 * 1000 else { return false }
        let current = freshest(file).flatMap(Self.expiry(of:)) ?? 0
        guard expiry > current else { return false }
        // Only the login is kept and written back: nothing else the container put in its copy.
        let kept = try JSONSerialization.data(withJSONObject: ["claudeAiOauth": login], options: [.prettyPrinted, .sortedKeys])
        try ConfinedDirectory(root: (directory as NSString).deletingLastPathComponent)
            .write(kept, to: (directory as NSString).lastPathComponent + "/" + copyName(of: file), mode: 0o600)
        if writeBack { writeToSource(login, file: file) }
        return true
    }

    /// The longest a refreshed login is believed to last.
    static let longestLogin: TimeInterval = 7 * 86_400

    /// The source file with its login replaced (its other fields kept), atomically (through a link, its target),
    /// keeping its mode; left alone when it cannot be.
    private func writeToSource(_ login: [String: Any], file: CredentialFile) {
        let target = URL(fileURLWithPath: file.path).resolvingSymlinksInPath().path
        guard FileManager.default.isWritableFile(atPath: target),
              FileManager.default.isWritableFile(atPath: (target as NSString).deletingLastPathComponent),
              let source = FileManager.default.contents(atPath: target),
              var fields = try? JSONSerialization.jsonObject(with: source) as? [String: Any] else { return }
        fields["claudeAiOauth"] = login
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.prettyPrinted, .sortedKeys]) else { return }
        let mode = (try? FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int).flatMap { $0 } ?? 0o600
        try? ConfinedDirectory(root: (target as NSString).deletingLastPathComponent)
            .write(data, to: (target as NSString).lastPathComponent, mode: mode_t(mode))
    }

    /// The `claudeAiOauth` object of a credential file.
    static func login(in data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["claudeAiOauth"] as? [String: Any]
    }

    /// `claudeAiOauth.expiresAt` of an OAuth credential with an access token; nil for anything else.
    static func expiry(of data: Data) -> Double? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let oauth = root["claudeAiOauth"] as? [String: Any],
              let token = oauth["accessToken"] as? String, !token.isEmpty else { return nil }
        return (oauth["expiresAt"] as? NSNumber)?.doubleValue ?? 0
    }

    private func read(_ name: String) -> Data? {
        ConfinedDirectory(root: directory).read(name, limit: Self.limit)
    }

    /// The kept copy's name: the file's, and a hash of its path (two folders may hold files of one name).
    func copyName(of file: CredentialFile) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in file.path.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "\(file.name)-\(String(hash, radix: 16))"
    }
}
