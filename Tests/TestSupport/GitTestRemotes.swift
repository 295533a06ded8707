import Foundation

/// Real git servers on loopback, started by `scripts/git-test-remotes`: an sshd
/// (with its own host key, a client key and an ssh-agent holding it) and
/// lighttpd serving `git http-backend` behind basic auth with a token.
/// Stopped when the value is released.
public final class GitTestRemotes: @unchecked Sendable {
    /// The folder holding the servers' files and `repos/`.
    public let directory: ScratchDirectory
    /// `remotes.env`: SSH_URL_PREFIX, SSH_KEY, SSH_AUTH_SOCK, KNOWN_HOSTS(_HASHED, _WRONG), HTTP_URL_PREFIX, HTTP_TOKEN_FILE …
    public let values: [String: String]

    /// The package's root folder.
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Starts both servers.
    /// - Throws: ``CommandFailed`` naming what did not start.
    public init() throws {
        directory = ScratchDirectory("orch-remotes")
        let script = Self.packageRoot + "/scripts/git-test-remotes"
        let started = try run(script, ["start", directory.path])
        guard started.status == 0 else { throw CommandFailed(command: [script, "start", directory.path], result: started) }
        let text = try String(contentsOfFile: directory("remotes.env"), encoding: .utf8)
        values = Dictionary(text.split(separator: "\n").compactMap { line in
            line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
        }) { $1 }
    }

    deinit {
        _ = try? run(Self.packageRoot + "/scripts/git-test-remotes", ["stop", directory.path])
    }

    /// Makes `repos/NAME.git`, a bare copy of `source` (a repository's path) that both servers serve.
    /// - Throws: ``CommandFailed`` when git fails.
    @discardableResult
    public func bareRepository(_ name: String, from source: String) throws -> String {
        let path = directory("repos", "\(name).git")
        try git("clone", "-q", "--bare", source, path, in: directory.path)
        return path
    }

    /// The ssh URL of `repos/NAME.git`.
    public func sshURL(_ name: String) -> String { values["SSH_URL_PREFIX"]! + "/\(name).git" }
    /// The https-style (plain http on loopback) URL of `repos/NAME.git`.
    public func httpURL(_ name: String) -> String { values["HTTP_URL_PREFIX"]! + "/\(name).git" }
    /// The token lighttpd accepts.
    public var token: String { (try? String(contentsOfFile: values["HTTP_TOKEN_FILE"]!, encoding: .utf8)) ?? "" }
}
