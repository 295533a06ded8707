/// How orch authenticates to a remote and checks who it talks to, handed to
/// libgit2's credential and certificate callbacks. No git CLI is involved.
///
/// ```swift
/// let access = RemoteAccess(sshKey: "/home/jane/.ssh/id_ed25519", knownHosts: "/home/jane/.ssh/known_hosts")
/// try repository.fetch(from: "git@host:team/app.git", refspecs: ["+refs/heads/main:refs/remotes/origin/main"], access: access)
/// ```
public struct RemoteAccess: Sendable, Equatable, CustomStringConvertible {
    /// A private key file for ssh; nil uses the ssh agent (`$SSH_AUTH_SOCK`).
    public var sshKey: String?
    /// The known_hosts file every ssh host key must be in.
    public var knownHosts: String
    /// The user name sent with an https token.
    public var httpUser: String
    /// The https token; never printed.
    public var httpToken: String?
    /// Where the token came from (`$ORCH_GIT_TOKEN`, a file's path), for messages.
    public var httpTokenSource: String?

    /// - Parameters:
    ///   - sshKey: a private key file; nil means the ssh agent.
    ///   - knownHosts: the known_hosts file.
    ///   - httpUser: the user name for https.
    ///   - httpToken: the https token.
    ///   - httpTokenSource: where the token came from, for messages.
    public init(sshKey: String? = nil, knownHosts: String, httpUser: String = "x-access-token",
                httpToken: String? = nil, httpTokenSource: String? = nil) {
        self.sshKey = sshKey
        self.knownHosts = knownHosts
        self.httpUser = httpUser
        self.httpToken = httpToken
        self.httpTokenSource = httpTokenSource
    }

    /// Names every part but the token's value.
    public var description: String {
        "RemoteAccess(ssh: \(sshKey ?? "agent"), knownHosts: \(knownHosts), https: \(httpTokenSource ?? "no token"))"
    }

    /// A URL as it may be shown: user information in an http(s) URL (a token,
    /// a password) becomes `***`; an ssh user name stays.
    public static func redacting(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), url.lowercased().hasPrefix("http") else { return url }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return url }
        return url.replacingCharacters(in: schemeEnd.upperBound..<at, with: "***")
    }

    /// The ssh method, as messages name it.
    var sshMethod: String { sshKey.map { "the ssh key \($0)" } ?? "the ssh agent" }

    /// The https method, as messages name it.
    var httpMethod: String { httpTokenSource.map { "the token from \($0)" } ?? "no token (set one for https)" }
}

/// A remote URL's host and port, as an ssh host key is looked up by them.
struct RemoteEndpoint: Equatable {
    var scheme: String
    var host: String
    var port: Int

    /// Parses `ssh://user@host:port/path`, `user@host:path` (scp-like), `https://host/path` and the like.
    init?(url: String) {
        if let schemeEnd = url.range(of: "://") {
            scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
            let rest = url[schemeEnd.upperBound...]
            var authority = Substring(rest.prefix { $0 != "/" })
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            let defaultPort = ["ssh": 22, "git+ssh": 22, "ssh+git": 22, "https": 443, "http": 80, "git": 9418][scheme] ?? 0
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? defaultPort : defaultPort
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                port = Int(authority[authority.index(after: colon)...]) ?? defaultPort
            } else {
                host = String(authority)
                port = defaultPort
            }
        } else if let colon = url.firstIndex(of: ":"), !url[..<colon].contains("/") {
            // scp-like `user@host:path`; a local path with a colon has a slash before it.
            scheme = "ssh"
            var authority = url[..<colon]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            host = String(authority)
            port = 22
        } else {
            return nil
        }
        if host.isEmpty { return nil }
    }

    var isSSH: Bool { scheme == "ssh" || scheme == "git+ssh" || scheme == "ssh+git" }
}
