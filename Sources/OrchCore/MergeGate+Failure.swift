import Foundation
import GitKit

/// A branch that failed the check: its record (which hands the failure to its worker) and its result.
extension MergeGate {
    /// Records the failure and finishes the entry; the target is not touched.
    /// The same tip failing again keeps its record: its worker has had (or has) its turn on it.
    func fail(_ member: Planned.Member, run: CheckRun) throws {
        let repository = try repository()
        let (check, branch) = (configuration.check, member.entry.branch)
        let previous = try CheckFailure.load(branch, in: repository)
        let failure = CheckFailure(branch: branch, tip: member.tip.hex, command: check.command,
                                   summary: run.summary(command: check.command, timeout: check.timeoutSeconds),
                                   tail: run.tail, tasks: try incomingTasks(of: member, in: repository).map(\.description),
                                   at: Date().timeIntervalSince1970)
        if previous?.0.tip != failure.tip { try failure.save(in: repository, replacing: previous?.1) }
        let report = MergeReport(branch: branch, kind: .checkFailed, message: failure.summary, log: run.tail)
        try queue.finish(member.entry, with: report, in: repository)
        try requeueIfMoved(member, in: repository)
    }

    /// A branch whose merge passed has nothing left to fix.
    func closeFailure(of member: Planned.Member, in repository: Repository) throws {
        guard let (failure, _) = try CheckFailure.load(member.entry.branch, in: repository), failure.isOpen else { return }
        try CheckFailure.markFixed(branch: failure.branch, failedAt: failure.tip, fixedAt: member.tip.hex, in: repository)
    }

    /// The tasks whose trailers the failed merge brings in.
    private func incomingTasks(of member: Planned.Member, in repository: Repository) throws -> [TaskID] {
        let targetTip = try TaskLedger.targetTip(repository: repository, target: configuration.target)
        return try repository.commits(from: member.tip, excluding: targetTip)
            .flatMap { $0.trailerValues(TaskID.trailerKey) }.compactMap { TaskID($0) }.uniqued().sorted()
    }
}
