import Foundation
import GitKit

/// Merges worker branches into the target: `orch merge`.
///
/// Merges are computed in memory and land by compare-and-swap on the target, in
/// one commit that also ticks `[x]` on the tasks whose `Orch-Task:` trailers it
/// brings in. On a conflict nothing is written. No working tree is touched
/// (except a clean checkout of the target in a person's own repository, which is
/// brought along).
public struct BranchMerge: Sendable {
    /// What merging one branch did.
    public enum Outcome: Equatable, Sendable {
        /// The target already had everything.
        case upToDate
        /// The target moved forward (to the branch, or to a commit ticking its tasks on top of it).
        case fastForwarded(to: ObjectID, ticked: [TaskID])
        /// A merge commit was written.
        case merged(commit: ObjectID, ticked: [TaskID])
        /// The branches collide; the target is untouched.
        case conflicted([MergeConflict])
    }

    /// The target branch.
    public let target: String

    /// - Parameters:
    ///   - target: the target branch.
    public init(target: String) {
        self.target = target
    }

    /// The branch a command-line name means: `worker-3` is `orch/worker-3`,
    /// `manager` is `orch/manager`, anything else is a branch name.
    /// - Parameters:
    ///   - name: what the person typed.
    public static func branchName(for name: String) -> String {
        InstanceName(name)?.branch ?? name
    }

    /// Every `orch/worker-N` branch, in worker order.
    /// - Parameters:
    ///   - repository: the repository.
    /// - Throws: ``GitError`` when branches cannot be listed.
    public static func workerBranches(in repository: Repository) throws -> [String] {
        try repository.branches(withPrefix: InstanceName.branchPrefix)
            .compactMap { InstanceName(branch: $0) }
            .filter { $0.workerNumber != nil }
            .sorted()
            .map(\.branch)
    }

    /// Merges one branch into the target.
    /// - Parameters:
    ///   - branch: the branch to merge.
    ///   - repository: the repository holding both.
    /// - Returns: what happened.
    /// - Throws: ``OrchError`` (usage) when a branch is missing, a task list is
    ///   malformed, or a checkout of the target has uncommitted changes; ``GitError`` when git fails.
    public func merge(_ branch: String, in repository: Repository) throws -> Outcome {
        guard try repository.branchTip(target) != nil else {
            throw OrchError.usage("no target branch \(target) in \(repository.displayPath)")
        }
        guard try repository.branchTip(branch) != nil else {
            throw OrchError.usage("no branch \(branch) in \(repository.displayPath)")
        }
        let checkouts = try CheckedOutTarget(repository: repository, branch: target)
        var attempt = 0
        while true {
            attempt += 1
            let targetTip = try repository.branchTip(target)!
            let theirs = try repository.branchTip(branch)!
            guard let planned = try plan(merging: branch, at: theirs, into: targetTip, in: repository) else {
                return .upToDate
            }
            let newTip: ObjectID
            let outcome: Outcome
            switch planned {
            case .conflicted(let conflicts):
                return .conflicted(conflicts)
            case .commit(let commit, let isFastForward, let ticked):
                newTip = commit
                outcome = isFastForward ? .fastForwarded(to: commit, ticked: ticked) : .merged(commit: commit, ticked: ticked)
            }
            if try land(newTip, over: targetTip, message: "orch: merge \(branch)", checkouts: checkouts, in: repository) { return outcome }
            guard attempt < 100 else {
                throw GitError(code: .modified, message: "\(target) kept moving", operation: "merge \(branch) into \(target)")
            }
            backOff(attempt: attempt)
        }
    }

    /// Moves the target from `base` to `commit` by compare-and-swap, a clean checkout of it along;
    /// false when the target moved meanwhile (nothing written then).
    /// - Throws: ``OrchError`` (usage) when a checkout of the target is in the way; ``GitError``.
    func land(_ commit: ObjectID, over base: ObjectID, message: String, checkouts: CheckedOutTarget, in repository: Repository) throws -> Bool {
        try checkouts.check(movingTo: commit)
        do {
            try repository.updateBranch(target, to: commit, expecting: base, message: message)
        } catch let error as GitError where error.isLostRace {
            return false
        }
        try checkouts.sync(in: repository, from: base, to: commit)
        return true
    }

    enum Plan {
        case conflicted([MergeConflict])
        case commit(ObjectID, isFastForward: Bool, ticked: [TaskID])
    }

    /// Works out the commit that merges `theirs` into `targetTip` (any commit: the gate
    /// chains a batch's merges), or nil when there is nothing to merge. Writes objects only.
    func plan(merging branch: String, at theirs: ObjectID, into targetTip: ObjectID, in repository: Repository) throws -> Plan? {
        let analysis = try repository.analyzeMerge(of: theirs, into: targetTip)
        if analysis == .upToDate { return nil }

        let incoming = try repository.commits(from: theirs, excluding: targetTip)

        let mergedTree: ObjectID
        switch analysis {
        case .fastForward:
            mergedTree = try repository.treeID(ofCommit: theirs)
        default:
            switch try repository.mergeTrees(ours: targetTip, theirs: theirs) {
            case .conflicted(let conflicts): return .conflicted(conflicts)
            case .clean(let tree): mergedTree = tree
            }
        }

        try refuseTaskListChanges(from: branch, merged: mergedTree, into: targetTip, in: repository)
        var board: TaskBoard
        do {
            board = try TaskBoard(TreeSnapshot(tree: mergedTree, in: repository))
        } catch let error as TaskListError {
            throw OrchError.usage("cannot tick tasks merged from \(branch): \(error)")
        }
        let finished = try Self.countedTrailers(of: incoming, from: branch, board: board, targetTip: targetTip, in: repository)
        let before = Set(board.tasks.filter { !$0.task.isDone }.map(\.task.id))
        let changed = board.tick(finished)
        let ticked = finished.filter { before.contains($0) }.uniqued().sorted()
        let finalTree = changed.isEmpty ? mergedTree : try repository.tree(mergedTree, applying: board.changes(for: changed))
        let taskLine = ticked.isEmpty ? "" : "\n\nMerged tasks: \(ticked.map(\.description).joined(separator: ", "))\n"

        if analysis == .fastForward {
            if finalTree == mergedTree { return .commit(theirs, isFastForward: true, ticked: []) }
            let commit = try repository.createCommit(tree: finalTree, parents: [theirs], message: "orch: tick tasks merged from \(branch)\(taskLine)")
            return .commit(commit, isFastForward: true, ticked: ticked)
        }
        let commit = try repository.createCommit(tree: finalTree, parents: [targetTip, theirs], message: "Merge \(branch) into \(target)\(taskLine)")
        return .commit(commit, isFastForward: false, ticked: ticked)
    }
}

extension Sequence where Element: Hashable {
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
