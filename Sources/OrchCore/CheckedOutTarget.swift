import GitKit

/// The working trees that have the target branch checked out, kept in step when
/// orch moves the branch by ref update.
///
/// orch's own clones never check the target out, but `orch assign` and `orch merge`
/// may be pointed at a person's repository where it is. A clean checkout is brought
/// along; one with uncommitted changes is refused before anything is written.
struct CheckedOutTarget {
    let paths: [String]

    /// - Parameters:
    ///   - repository: the repository holding the branch.
    ///   - branch: the target branch.
    /// - Throws: ``OrchError`` (usage) when a checkout of `branch` has uncommitted changes.
    init(repository: Repository, branch: String) throws {
        paths = try repository.checkouts(of: branch)
        for path in paths {
            let changed = try Repository.open(at: path).changedPaths(includeUntracked: false)
            if !changed.isEmpty {
                throw OrchError.usage(
                    "branch \(branch) is checked out in \(path) with uncommitted changes (\(changed.prefix(3).joined(separator: ", "))); "
                        + "commit or stash them, or point orch at a clone where \(branch) is not checked out")
            }
        }
    }

    /// Updates each checkout's files and index to the branch's new tip.
    /// - Throws: ``GitError`` when a checkout changed meanwhile and collides.
    func sync() throws {
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
                }
            }
        }
    }
}

import Foundation
