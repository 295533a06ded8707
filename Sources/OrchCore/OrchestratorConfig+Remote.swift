import Foundation

extension OrchestratorConfig {
    /// Reads the fields about the user's remote and who commits: `remote`, `gitIdentity`, `pushWorkerBranches`.
    mutating func parseRemoteFields(_ fields: [String: JSONValue], fail: (String, String) -> OrchError) throws {
        if Self.urlHoldsPassword(repositoryURL) {
            throw fail("repositoryUrl", "holds a user, password or token; remove it and give the token through remote.tokenEnv or remote.tokenFile (the user through remote.username)")
        }
        if repositoryURL.hasPrefix("~") { repositoryURL = expandingTilde(repositoryURL) }
        if !repositoryURL.hasPrefix("/"), !repositoryURL.contains("://"), !RemoteSync.isSCPLike(repositoryURL) {
            // The server clones, fetches and pushes from wherever it was started; a relative path would move with it.
            throw fail("repositoryUrl", "\(repositoryURL) is a relative path; write it from / or as a URL")
        }
        remote = try RemoteSettings.parse(fields["remote"], fail: fail)
        switch fields["pushWorkerBranches"] {
        case nil: break
        case .bool(let value): pushWorkerBranches = value
        case let other?: throw fail("pushWorkerBranches", "expected true or false, found \(other.typeName)")
        }
        switch fields["gitIdentity"] {
        case nil: break
        case .object(let entries):
            if let unknown = entries.keys.sorted().first(where: { $0 != "name" && $0 != "email" }) {
                throw fail("gitIdentity.\(unknown)", "unknown field (known: email, name)")
            }
            var parts: [String: String] = [:]
            for key in ["name", "email"] {
                guard case .string(let text)? = entries[key], !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw fail("gitIdentity.\(key)", entries[key] == nil ? "missing; it is required" : "expected a non-empty string")
                }
                guard !text.contains(where: { $0 == "<" || $0 == ">" || $0.isNewline }) else {
                    throw fail("gitIdentity.\(key)", "must not hold <, > or a line break")
                }
                parts[key] = text
            }
            gitIdentity = GitIdentity(name: parts["name"]!, email: parts["email"]!)
        case let other?: throw fail("gitIdentity", "expected an object with name and email, found \(other.typeName)")
        }
    }

    /// Whether a URL carries a secret: `user:secret@` anywhere, or any user part in
    /// an http(s) URL (`https://TOKEN@host/…`); an ssh user name is no secret.
    static func urlHoldsPassword(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":") || url.lowercased().hasPrefix("http")
    }
}
