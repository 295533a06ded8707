import Foundation
import GitKit

/// The working trees that have the target branch checked out, kept in step when
/// orch moves the branch by ref update.
///
/// orch's own clones never check the target out, but `orch assign` and `orch merge`
/// may be pointed at a person's repository where it is. A clean checkout is brought
/// along; one with uncommitted changes, or with an untracked file where the new
/// commit adds one, is refused before the branch moves.
struct CheckedOutTarget {
    let branch: String
    let paths: [String]

    /// - Parameters:
    ///   - repository: the repository holding the branch.
    ///   - branch: the target branch.
    /// - Throws: ``OrchError`` (usage) when a checkout of `branch` has uncommitted
    ///   changes or cannot be seen from here.
    init(repository: Repository, branch: String) throws {
        self.branch = branch
        var paths: [String] = []
        for checkout in try repository.checkouts(of: branch) {
            guard checkout.isValid else {
                throw OrchError.usage("branch \(branch) is checked out in worktree \(checkout.name) at \(checkout.path), which is not reachable from here; check out another branch there first")
            }
            let changed = try Repository.open(at: checkout.path).changedPaths(includeUntracked: false)
            if !changed.isEmpty {
                throw OrchError.usage(
                    "branch \(branch) is checked out in \(checkout.path) with uncommitted changes (\(changed.prefix(3).joined(separator: ", "))); "
                        + "commit or stash them, or point orch at a clone where \(branch) is not checked out")
            }
            paths.append(checkout.path)
        }
        self.paths = paths
    }

    /// Checks, writing nothing, that every checkout can move to `commit`.
    /// - Parameters:
    ///   - commit: the branch's next tip.
    /// - Throws: ``OrchError`` (usage) naming the paths in the way.
    func check(movingTo commit: ObjectID) throws {
        for path in paths {
            do {
                try Repository.open(at: path).checkCleanCheckout(to: commit)
            } catch let error as GitError where error.code == .conflict {
                throw OrchError.usage("branch \(branch) is checked out in \(path), where \(error.message); move them away first")
            }
        }
    }

    /// Updates each checkout's files and index to the branch's new tip; if that
    /// fails, moves the branch back so the checkout is never out of step.
    /// - Parameters:
    ///   - repository: the repository holding the branch.
    ///   - previous: the tip before the move.
    ///   - current: the tip after it.
    /// - Throws: ``OrchError`` when a checkout changed meanwhile and collides.
    func sync(in repository: Repository, from previous: ObjectID?, to current: ObjectID) throws {
        for path in paths {
            let checkout = try Repository.open(at: path)
            var attempt = 0
            while true {
                do {
                    try checkout.syncCleanWorkingTree()
                    break
                } catch let error as GitError where error.code == .locked && attempt < 50 {
                    // Another orch process is syncing the same checkout.
                    attempt += 1
                    usleep(UInt32.random(in: 1_000...20_000))
                } catch {
                    if let previous {
                        try? repository.updateBranch(branch, to: previous, expecting: current, message: "orch: undo, \(path) could not follow")
                    }
                    throw OrchError.failure("\(path) changed while \(branch) moved, so the move was undone: \(error)")
                }
            }
        }
    }
}
