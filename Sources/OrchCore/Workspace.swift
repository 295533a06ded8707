import Foundation
import GitKit

/// The git side of a state directory: orch's bare clone of the repository, a
/// branch per instance with an empty folder its container clones it into (over
/// the channel, see `InstanceClone`), and a task list per worker on the target.
/// Preparing it again reuses whatever is there.
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
        for instance in instances {
            let path = layout.worktree(instance)
            // An older orch linked worktrees to this clone: their `.git` file names a gitdir a container could rewrite.
            if (try? FileManager.default.attributesOfItem(atPath: path + "/.git")[.type] as? FileAttributeType) == .typeRegular {
                throw OrchError.usage("\(path) is a worktree linked to \(layout.clone) (an older orch's layout); its branch \(instance.branch) is kept there: commit what is in the folder, move the folder away and serve again")
            }
            if try repository.branchTip(instance.branch) == nil { try repository.updateBranch(instance.branch, to: tip, expecting: nil, message: "orch: \(instance)'s branch") }
            // The instance clones its branch into it over the channel: the server never opens what is inside.
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
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
