import Foundation
import GitKit

/// A branch that failed the check: its record, its worker's fix task, its result.
extension MergeGate {
    /// Records the failure, gives the branch's worker a task to fix it (one open fix task per branch), and finishes the entry.
    func fail(_ member: Planned.Member, run: CheckRun) throws {
        let repository = try repository()
        let (check, target, branch) = (configuration.check, configuration.target, member.entry.branch)
        let previous = try CheckFailure.load(branch, in: repository)
        var failure = CheckFailure(branch: branch, tip: member.tip.hex, command: check.command,
                                   summary: run.summary(command: check.command, timeout: check.timeoutSeconds),
                                   tail: run.tail, tasks: try incomingTasks(of: member, in: repository).map(\.description),
                                   task: nil, at: Date().timeIntervalSince1970)
        if let worker = InstanceName(branch: branch)?.workerNumber {
            failure.task = try fixTask(for: failure, worker: worker, previous: previous?.0, in: repository)?.description
        }
        try failure.save(in: repository, replacing: previous?.1)
        let report = MergeReport(branch: branch, kind: .checkFailed, message: failure.summary, log: run.tail, fixTask: failure.task)
        try queue.finish(member.entry, with: report, in: repository)
        try requeueIfMoved(member, in: repository)
    }

    /// The open fix task of the branch, or a new one; nil when no task list can take it.
    private func fixTask(for failure: CheckFailure, worker: Int, previous: CheckFailure?, in repository: Repository) throws -> TaskID? {
        let target = configuration.target
        let ledger = try TaskLedger(repository: repository, target: target)
        let open: (TaskLedger.Task) -> Bool = { $0.state == .queued || $0.state == .delivered }
        if let id = previous?.task.flatMap({ TaskID($0) }), let task = ledger.task(id) {
            // Still to do, or done on the branch after the tip that failed (a check of an older tip, or one
            // gated while the worker pushed its fix): the same task. A fix that was in what failed needs a new one.
            if open(task) || (task.state == .done && !failure.tasks.contains(id.description)) { return id }
        }
        // A crash between the assignment and the record: the task is in the list, name it again.
        let marker = "(\(failure.branch) at \(failure.tip.prefix(10));"
        if let task = ledger.tasks(of: worker).first(where: { open($0) && $0.text.contains(marker) }) { return task.id }
        do {
            return try TaskAssignment(worker: worker, text: failure.taskText(target: target), branch: target).commit(to: repository)
        } catch let error as OrchError where error.code == .usage {
            return nil
        }
    }

    /// The tasks whose trailers the failed merge brings in.
    private func incomingTasks(of member: Planned.Member, in repository: Repository) throws -> [TaskID] {
        let targetTip = try TaskLedger.targetTip(repository: repository, target: configuration.target)
        return try repository.commits(from: member.tip, excluding: targetTip)
            .flatMap { $0.trailerValues(TaskID.trailerKey) }.compactMap { TaskID($0) }.uniqued().sorted()
    }
}
