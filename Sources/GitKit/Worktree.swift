/// A linked worktree of a repository, as libgit2 lists it.
public struct Worktree: Equatable, Sendable {
    /// The worktree's name (the folder under `.git/worktrees/`).
    public let name: String
    /// Its working directory.
    public let path: String
    /// The branch its HEAD points at, or nil when detached or unreadable.
    public let branch: String?
    /// False when its working directory is gone (libgit2 would prune it).
    public let isValid: Bool
    /// Whether the worktree is locked against pruning.
    public let isLocked: Bool

    /// - Parameters:
    ///   - name: the worktree's name.
    ///   - path: its working directory.
    ///   - branch: its checked-out branch.
    ///   - isValid: whether its directory is there.
    ///   - isLocked: whether it is locked.
    public init(name: String, path: String, branch: String?, isValid: Bool, isLocked: Bool) {
        self.name = name
        self.path = path
        self.branch = branch
        self.isValid = isValid
        self.isLocked = isLocked
    }
}

/// Which branch a new worktree checks out.
public enum WorktreeBranch: Sendable {
    /// A branch that does not exist yet, created at the commit.
    case new(String, at: ObjectID)
    /// A branch that exists.
    case existing(String)
}
