import GitKit

/// Brings a worker's branch up to date with the target while the worker is
/// quiescent (inside its Stop hook, or idle), so its next task starts from
/// what is merged and its own merge into the target stays clean.
///
/// The merge is computed in memory; the branch (and, in a repository with a
/// working tree, its files) move only when it is clean, and local edits are kept
/// (a collision with one leaves everything as it was). In orch's bare clone only
/// the branch moves; the instance's clone takes it over the channel. On a conflict nothing is written: the worker
/// is told to merge and resolve the named paths itself.
///
/// ```swift
/// let sync = WorkerBranchSync(target: "main")
/// if case .conflicted(let paths) = try sync.update(branch: "orch/worker-2", worktree: path) { … }
/// ```
public struct WorkerBranchSync: Sendable {
    /// What updating did.
    public enum Outcome: Equatable, Sendable {
        /// The branch already held the target.
        case upToDate
        /// The branch moved (a fast-forward or a merge commit) and its files with it.
        case updated(ObjectID)
        /// The target and the branch collide in these paths; nothing was written.
        case conflicted([String])
        /// Uncommitted changes in the worktree stand in the way; nothing was written.
        case blockedByLocalChanges(String)
    }

    /// The target branch.
    public let target: String

    /// - Parameters:
    ///   - target: the target branch.
    public init(target: String) {
        self.target = target
    }

    /// Merges the target into the branch checked out at `worktree`.
    /// - Parameters:
    ///   - branch: the worker's branch.
    ///   - worktree: its worktree.
    /// - Returns: what happened.
    /// - Throws: ``OrchError`` when a branch is missing; ``GitError`` when git fails.
    public func update(branch: String, worktree: String) throws -> Outcome {
        try update(branch: branch, in: Repository.open(at: worktree))
    }

    /// Merges the target into the branch checked out in `repository`'s working tree.
    /// - Parameters:
    ///   - branch: the worker's branch.
    ///   - repository: the worker's worktree, opened.
    /// - Returns: what happened.
    /// - Throws: ``OrchError`` when a branch is missing; ``GitError`` when git fails.
    public func update(branch: String, in repository: Repository) throws -> Outcome {
        guard let targetTip = try repository.branchTip(target) else {
            throw OrchError.failure("no target branch \(target) in \(repository.displayPath)")
        }
        guard let tip = try repository.branchTip(branch) else {
            throw OrchError.failure("no branch \(branch) in \(repository.displayPath)")
        }
        let newTip: ObjectID
        switch try repository.analyzeMerge(of: targetTip, into: tip) {
        case .upToDate:
            return .upToDate
        case .fastForward:
            newTip = targetTip
        case .normal:
            switch try repository.mergeTrees(ours: tip, theirs: targetTip) {
            case .conflicted(let conflicts):
                return .conflicted(conflicts.map(\.path).uniqued().sorted())
            case .clean(let tree):
                newTip = try repository.createCommit(tree: tree, parents: [tip, targetTip], message: "Merge \(target) into \(branch)\n")
            }
        }
        // orch's own clone is bare: only the branch moves (by compare-and-swap), and the
        // instance takes it into its clone over the channel.
        guard repository.workingDirectory != nil else {
            try repository.updateBranch(branch, to: newTip, expecting: tip, message: "orch: merge \(target) into \(branch)")
            return .updated(newTip)
        }
        do {
            try repository.advanceCheckedOutBranch(to: newTip, expecting: tip)
        } catch let error as GitError where error.code == .conflict {
            return .blockedByLocalChanges(error.message)
        }
        return .updated(newTip)
    }
}
