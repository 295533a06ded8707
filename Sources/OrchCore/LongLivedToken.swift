import Foundation

/// A credential file made from a long-lived token (`claude setup-token` prints
/// one per subscription, valid about a year): `{"env":
/// {"CLAUDE_CODE_OAUTH_TOKEN": "…"}}`. Unlike a claude.ai login it is never
/// refreshed, so instances can share nothing and lose nothing: the credential
/// containers should have. `orch init --token-file FILE` writes one from a
/// token pasted on stdin (never from the command line, where `ps` shows it).
///
/// ```swift
/// try LongLivedToken(pasted: stdinText).write(to: "~/.config/orch/credentials/team-a.json")
/// ```
public struct LongLivedToken: Sendable {
    private let token: String

    /// Checks a pasted token: one line of printable characters, not an API key.
    /// - Throws: ``OrchError`` (usage) saying what is wrong, never quoting the token.
    public init(pasted: String) throws {
        let token = pasted.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw OrchError.usage("no token on stdin: paste the token `claude setup-token` printed, then end the input (Ctrl-D)")
        }
        guard token.count <= 4096, token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw OrchError.usage("the token on stdin is not one line of printable characters (\(token.count) characters read); paste only the token")
        }
        guard !token.hasPrefix("sk-ant-api") else {
            throw OrchError.usage("that is an API key, not a token from `claude setup-token`; an API key goes in {\"env\": {\"ANTHROPIC_API_KEY\": …}}")
        }
        self.token = token
    }

    /// Writes the credential file (mode 0600, its folder made 0700 if missing); an existing file is never replaced.
    /// - Throws: ``OrchError`` (usage) naming the file when it exists or cannot be written.
    public func write(to path: String) throws {
        let path = expandingTilde(path)
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = try JSONSerialization.data(withJSONObject: ["env": ["CLAUDE_CODE_OAUTH_TOKEN": token]], options: [.prettyPrinted, .sortedKeys])
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it exists already (orch never replaces a credential file)" : String(cString: strerror(errno))
            throw OrchError.usage("--token-file \(path): \(reason)")
        }
        defer { close(fd) }
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fchmod(fd, 0o600) == 0 else {
            unlink(path)
            throw OrchError.usage("--token-file \(path): cannot write it")
        }
    }
}
