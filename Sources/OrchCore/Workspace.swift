import Foundation
import GitKit

/// The git side of a state directory: orch's bare clone of the repository, a
/// worktree per instance on its own branch, and a task list per worker on the
/// target. Preparing it again reuses whatever is there.
public struct Workspace: Sendable {
    /// The state layout.
    public let layout: StateLayout
    /// The target branch.
    public let target: String
    /// The instances, manager first.
    public let instances: [InstanceName]

    /// Clones (when needed) and lays out worktrees, branches and task lists.
    /// - Parameters:
    ///   - repositoryURL: what to clone.
    ///   - target: the target branch.
    ///   - workerCount: how many workers.
    ///   - layout: the state directory's layout.
    /// - Throws: ``OrchError`` naming what is missing and how to fix it; ``GitError`` when git fails.
    ///   - remote: how to reach the repository (credentials, known_hosts) for the first clone.
    public static func prepare(repositoryURL: String, target: String, workerCount: Int, layout: StateLayout, remote: RemoteSync? = nil) throws -> Workspace {
        let repository: Repository
        // Only the server's user reads the state: pane logs hold whatever agents printed.
        try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: layout.root)
        if FileManager.default.fileExists(atPath: layout.clone) {
            repository = try Repository.open(at: layout.clone)
        } else {
            do {
                repository = try Repository.clone(from: repositoryURL, to: layout.clone, bare: true, access: remote?.access)
            } catch let error as GitError {
                try? FileManager.default.removeItem(atPath: layout.clone)
                throw OrchError.usage("cannot clone repositoryUrl \(repositoryURL): \(error.message)")
            }
        }
        guard let tip = try repository.branchTip(target) else {
            throw OrchError.usage("\(repositoryURL) has no branch \(target) (field branch); create it or set branch to an existing one")
        }
        guard try repository.readFile("PROJECT_DIRECTION.md", at: tip) != nil else {
            throw OrchError.usage("\(repositoryURL) has no PROJECT_DIRECTION.md on \(target); run `orch init` in the repository, describe the project there and commit it")
        }
        let instances = InstanceName.all(workerCount: workerCount)
        let known = Dictionary(uniqueKeysWithValues: try repository.worktrees().map { ($0.name, $0) })
        for instance in instances {
            let path = layout.worktree(instance)
            let branch: WorktreeBranch = try repository.branchTip(instance.branch) == nil ? .new(instance.branch, at: tip) : .existing(instance.branch)
            if let existing = known["\(instance)"] {
                if existing.isValid { continue }
                // Its folder is gone: drop the stale record (the branch stays) and add it again.
                try repository.pruneWorktree(named: existing.name, target: nil, force: true)
            }
            try repository.addWorktree(named: "\(instance)", at: path, branch: branch)
        }
        try repository.commitFiles(to: target) { snapshot in
            let existing = Set(try snapshot.rootFileNames())
            let missing = (1...workerCount).filter { !existing.contains(TaskBoard.fileName(worker: $0)) }
            guard !missing.isEmpty else { return nil }
            let board = TaskBoard.empty(workers: missing)
            return CommitPlan(message: "orch: task lists for worker \(missing.map(String.init).joined(separator: ", "))", changes: board.changes(for: missing))
        }
        return Workspace(layout: layout, target: target, instances: instances)
    }
}
