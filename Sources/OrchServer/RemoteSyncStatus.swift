import Foundation

/// The target's sync state with the user's remote, in `orch status --json` as `remote`:
///
/// ```json
/// {"url": "git@host:team/app.git", "ahead": 0, "behind": 0, "lastPush": "2026-12-02T21:04:05Z",
///  "lastFetch": "2026-12-02T21:04:30Z", "lastError": null, "conflict": null, "state": null}
/// ```
public struct RemoteSyncStatus: Codable, Sendable, Equatable {
    /// The remote, with any password replaced.
    public var url: String
    /// Commits the target has that the remote's lacks (as of the last fetch or push).
    public var ahead: Int?
    /// Commits the remote's target has that orch's lacks.
    public var behind: Int?
    /// When the target was last pushed (ISO 8601).
    public var lastPush: String?
    /// When the remote was last fetched (ISO 8601).
    public var lastFetch: String?
    /// The last failure (unreachable, refused credentials, a refused push), until a round succeeds.
    public var lastError: String?
    /// Paths where the remote's commits conflict with the target, while they do.
    public var conflict: [String]?
    /// `unreachable` or `rejected` while the last round failed so; nil otherwise.
    public var state: String?

    /// - Parameters:
    ///   - url: the remote as people may see it.
    public init(url: String) {
        self.url = url
    }

    /// One line for the status table.
    public var summary: String {
        var parts = ["\(url)"]
        if let ahead, let behind { parts.append(ahead == 0 && behind == 0 ? "in step" : "ahead \(ahead), behind \(behind)") }
        parts.append("last push \(lastPush ?? "none yet")")
        if let conflict { parts.append("upstream conflict in \(conflict.joined(separator: ", "))") }
        if let lastError { parts.append("last error: \(lastError)") }
        return parts.joined(separator: "; ")
    }

    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: false).format(date)
    }
}
