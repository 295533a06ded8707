import Foundation

extension OrchestratorConfig {
    /// Whether a URL carries a secret: `user:secret@` anywhere, or any user part in
    /// an http(s) URL (`https://TOKEN@host/…`); an ssh user name is no secret.
    static func urlHoldsPassword(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" }
        guard let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":") || url.lowercased().hasPrefix("http")
    }
}
