import Foundation
import GitKit

/// What a merge takes from a branch orch does not trust: a worker's container
/// runs code anyone could have written, so its branch may carry anything.
extension BranchMerge {
    /// The task lists change only through `orch assign`, `orch merge` and the
    /// upstream sync: a worker branch whose merge would change one is refused,
    /// naming the files.
    /// - Throws: ``OrchError`` (usage) naming the branch and the lists.
    func refuseTaskListChanges(from branch: String, merged: ObjectID, into targetTip: ObjectID, in repository: Repository) throws {
        guard InstanceName(branch: branch)?.workerNumber != nil else { return }
        let before = TreeSnapshot(tree: try repository.treeID(ofCommit: targetTip), in: repository)
        let after = TreeSnapshot(tree: merged, in: repository)
        let names = Set(try before.rootFileNames() + after.rootFileNames()).filter { TaskBoard.worker(ofFileName: $0) != nil }
        let changed = try names.sorted().filter { try before.file($0) != after.file($0) }
        guard !changed.isEmpty else { return }
        throw OrchError.usage("""
            \(branch) changes \(changed.joined(separator: ", ")): task lists change only through orch assign and orch merge, \
            so this merge is refused and \(target) is unchanged. Undo it on \(branch) \
            (git checkout \(target) -- \(changed.joined(separator: " ")), then commit) and merge again.
            """)
    }

    /// The ids of trailers that count for this merge: a worker branch's only for
    /// tasks in that worker's own list; another branch's (the manager's) only
    /// when the commit is on the owning worker's branch too, so no branch can
    /// tick another worker's task by writing its id.
    static func countedTrailers(of incoming: [Commit], from branch: String, board: TaskBoard, targetTip: ObjectID, in repository: Repository) throws -> [TaskID] {
        var owner: [TaskID: Int] = [:]
        for (worker, task) in board.tasks { owner[task.id] = worker }
        if let worker = InstanceName(branch: branch)?.workerNumber {
            return incoming.flatMap { $0.trailerValues(TaskID.trailerKey) }.compactMap { TaskID($0) }.filter { owner[$0] == worker }
        }
        var onWorkerBranch: [Int: Set<ObjectID>] = [:]
        var counted: [TaskID] = []
        for commit in incoming {
            for id in commit.trailerValues(TaskID.trailerKey).compactMap({ TaskID($0) }) {
                guard let worker = owner[id] else { continue }
                if onWorkerBranch[worker] == nil {
                    let tip = try repository.branchTip(InstanceName.worker(worker).branch)
                    onWorkerBranch[worker] = Set(try tip.map { try repository.commits(from: $0, excluding: targetTip).map(\.id) } ?? [])
                }
                if onWorkerBranch[worker]!.contains(commit.id) { counted.append(id) }
            }
        }
        return counted
    }
}
