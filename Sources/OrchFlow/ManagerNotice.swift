import Foundation
import OrchCore

/// Something the manager must hear about: a task done (merge it), failed, a
/// conflict, a resolved conflict, a worker idle with an empty queue.
///
/// Its `key` is derived from git state (`done:T-0007`,
/// `idle:worker-2:after:T-0009`), so a restarted server that finds the same
/// state makes the same notice, and ``NoticeRecord`` keeps it from being sent twice.
public struct ManagerNotice: Sendable, Equatable {
    /// Identifies the notice across server restarts (``NoticeKey``, as recorded).
    public let key: String
    /// One line for the manager.
    public let text: String

    /// - Parameters:
    ///   - key: the stable key.
    ///   - text: one line.
    public init(_ key: NoticeKey, text: String) {
        self.key = key.description
        self.text = text
    }
}

/// What a notice is about; its text form is the notice's key in `notices.json`
/// and the event log, spelled only here.
public enum NoticeKey: Hashable, Sendable, CustomStringConvertible {
    /// A task is done on its worker's branch: `done:T-0007`.
    case done(TaskID)
    /// orch gave up on a task: `failed:T-0007`.
    case failed(TaskID)
    /// A worker's queue ran empty after a task (or before any): `idle:worker-2:after:T-0009`, `idle:worker-2:empty`.
    case idle(worker: Int, after: TaskID?)
    /// A worker's branch conflicts with the target at a tip: `conflict:worker-2:<tip>`.
    case conflict(worker: Int, targetTip: String)
    /// That conflict is resolved: `resolved:worker-2:<tip it conflicted at>`.
    case resolved(worker: Int, conflictedAt: String)
    /// The remote's target conflicts with orch's: `upstream-conflict:<remote tip>`.
    case upstreamConflict(remoteTip: String)
    /// Every credential file is limited; an instance waits: `paused:worker-1:<unix time>`.
    case paused(InstanceName, until: Int)
    /// A branch's merge failed the merge check at a tip: `check-failed:orch/worker-2:<tip>`.
    case checkFailed(branch: String, tip: String)
    /// The branch's worker had its turn on that failure: merge it again: `check-fixed:orch/worker-2:<tip that failed>`.
    case checkFixed(branch: String, tip: String)

    public var description: String {
        switch self {
        case .done(let task): "done:\(task)"
        case .failed(let task): "failed:\(task)"
        case .idle(let worker, let after): "idle:\(InstanceName.worker(worker)):" + (after.map { "after:\($0)" } ?? "empty")
        case .conflict(let worker, let tip): "conflict:\(InstanceName.worker(worker)):\(tip)"
        case .resolved(let worker, let tip): "resolved:\(InstanceName.worker(worker)):\(tip)"
        case .upstreamConflict(let tip): "upstream-conflict:\(tip)"
        case .paused(let instance, let until): "paused:\(instance):\(until)"
        case .checkFailed(let branch, let tip): "check-failed:\(branch):\(tip)"
        case .checkFixed(let branch, let tip): "check-fixed:\(branch):\(tip)"
        }
    }
}
