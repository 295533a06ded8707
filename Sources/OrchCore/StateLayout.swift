import Foundation

/// Where everything of one orchestrated repository lives in the state directory.
public struct StateLayout: Sendable, Equatable {
    /// The state directory.
    public let root: String

    /// - Parameters:
    ///   - root: the state directory.
    public init(root: String) {
        self.root = URL(fileURLWithPath: expandingTilde(root)).standardizedFileURL.path
    }

    /// The default state directory: `$XDG_STATE_HOME/orch/<repo-name>`, else `~/.local/state/orch/<repo-name>`.
    /// - Parameters:
    ///   - repositoryURL: the orchestrated repository's URL or path.
    ///   - environment: the process environment.
    public static func defaultRoot(for repositoryURL: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        return "\(base)/orch/\(repositoryName(of: repositoryURL))"
    }

    /// The repository's name from its URL: the last path component without `.git`.
    /// - Parameters:
    ///   - url: e.g. `git@host:team/app.git` or `/srv/app`.
    public static func repositoryName(of url: String) -> String {
        var trimmed = url
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let last = trimmed.split(whereSeparator: { $0 == "/" || $0 == ":" }).last.map(String.init) ?? "repository"
        let name = last.hasSuffix(".git") ? String(last.dropLast(4)) : last
        return name.isEmpty ? "repository" : name
    }

    /// orch's bare clone.
    public var clone: String { root + "/repo.git" }
    /// The folder holding the instances' worktrees.
    public var worktrees: String { root + "/worktrees" }
    /// An instance's worktree.
    public func worktree(_ instance: InstanceName) -> String { worktrees + "/\(instance)" }
    /// An instance's HOME.
    public func home(_ instance: InstanceName) -> String { root + "/homes/\(instance)" }
    /// The logs folder.
    public var logs: String { root + "/logs" }
    /// The server's private files (0700): tokens, the endpoint, credential and notice state.
    public var run: String { root + "/run" }
    /// The git hooks the channel's `git http-backend` runs (a pre-receive that keeps each instance to its branch).
    public var gitHooks: String { run + "/git-hooks" }
    /// The lock file that keeps a second `orch serve` off this state.
    public var lock: String { root + "/orch.lock" }
    /// Where the hook endpoint listens, and its URL from the host and from the containers (0600).
    public var endpoint: String { run + "/endpoint.json" }
    /// The instances' hook tokens and the operator's (0600).
    public var tokens: String { run + "/tokens.json" }
    /// Which instance uses which credential file and when each is limited (0600, no secret).
    public var credentialState: String { run + "/credentials.json" }
    /// The freshest copy of each OAuth credential file (``CredentialCustody``), 0600.
    public var credentialCopies: String { run + "/credentials" }
    /// The keys of the notices the manager has received.
    public var notices: String { run + "/notices.json" }
    /// The event log.
    public var events: String { logs + "/events.jsonl" }
    /// An instance's pane log.
    public func paneLog(_ instance: InstanceName) -> String { logs + "/\(instance).log" }
    /// The compose file written for the fleet (`docker compose` can show it).
    public var composeFile: String { root + "/compose.yml" }
    /// Claude Code's managed settings for `"hooks": "http"` (the endpoint's URL in them), mounted read-only into every container.
    public var managedSettings: String { root + "/managed-settings.json" }
}
