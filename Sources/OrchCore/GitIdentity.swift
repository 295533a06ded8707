import GitKit

/// Who commits in an instance's container: the person's name and address with
/// the instance named, so the history on their git host shows which instance
/// wrote what (`Jane Doe (orch worker-2) <jane@example.com>`).
public struct GitIdentity: Equatable, Sendable {
    /// The person's name.
    public var name: String
    /// Their e-mail address.
    public var email: String

    /// - Parameters:
    ///   - name: a name.
    ///   - email: an e-mail address.
    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// The host user's `user.name` and `user.email` from git's global config, or nil when either is unset.
    public static func host() -> GitIdentity? {
        let identity = GitConfig.userIdentity()
        guard let name = identity.name, let email = identity.email else { return nil }
        return GitIdentity(name: name, email: email)
    }

    /// The environment that makes git in an instance's container commit as it:
    /// `base` with the instance named, or `orch worker-2 <worker-2@orch.invalid>` with no base.
    /// - Parameters:
    ///   - instance: the instance.
    ///   - base: the configured or host identity.
    public static func environment(for instance: InstanceName, base: GitIdentity?) -> [String: String] {
        let name = base.map { "\($0.name) (orch \(instance))" } ?? "orch \(instance)"
        let email = base?.email ?? "\(instance)@orch.invalid"
        return ["GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email]
    }
}
