/// What an entry of the event log says happened: the one place each kind's
/// string is spelled (`orch logs`, the tests and people read them).
///
/// ```swift
/// await log.append(.restart, instance: .worker(2), ["reason": "container exited with status 137"])
/// EventKind(rawValue: "Stop") == .hook(.stop)
/// ```
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// A hook event as it arrived.
    public static func hook(_ name: HookEventName) -> EventKind { EventKind(rawValue: name.rawValue) }

    // The task flow.
    /// A task handed to its worker (`by` stop-hook or pane).
    public static let delivered = EventKind(rawValue: "delivered")
    /// A worker stopped with its task not done and was reminded.
    public static let reminder = EventKind(rawValue: "reminder")
    /// A worker stopped with its branch still conflicting with the target and was reminded.
    public static let syncReminder = EventKind(rawValue: "sync-reminder")
    /// An instance stopped with nothing to do.
    public static let idle = EventKind(rawValue: "idle")
    /// Notices reached the manager.
    public static let notified = EventKind(rawValue: "notified")
    /// orch gave up on a task.
    public static let taskFailed = EventKind(rawValue: "task-failed")

    /// A worker was handed the failed merge check of its branch (tip, by stop-hook or pane).
    public static let checkFailureDelivered = EventKind(rawValue: "check-failure-delivered")
    /// The merge gate checked a merge (branches, tree, result `passed`/`failed`/`timeout`, seconds, cached).
    public static let mergeCheck = EventKind(rawValue: "merge-check")

    // The supervisor.
    /// An instance was started again.
    public static let restart = EventKind(rawValue: "restart")
    /// A restart waits for its backoff.
    public static let restartScheduled = EventKind(rawValue: "restart-scheduled")
    /// An instance failed too often and is left stopped.
    public static let failed = EventKind(rawValue: "failed")

    // Credentials.
    /// A credential file hit its rate limit.
    public static let rateLimited = EventKind(rawValue: "rate-limited")
    /// An instance moved to another credential file.
    public static let rotated = EventKind(rawValue: "rotated")
    /// A credential file's window passed `health.rotateAtPercent` (file, percent, until): its holder moves at its next Stop.
    public static let nearLimit = EventKind(rawValue: "near-limit")
    /// What a worker's sessions used on a task, from its hand-over to the Stop after it was done or failed (task,
    /// inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens, costUSD).
    public static let taskUsage = EventKind(rawValue: "task-usage")
    /// An instance waits for a limit to reset.
    public static let paused = EventKind(rawValue: "paused")
    /// A paused instance runs again.
    public static let resumed = EventKind(rawValue: "resumed")

    // The user's remote.
    /// The target reached the remote.
    public static let pushed = EventKind(rawValue: "pushed")
    /// The remote's new commits were taken into the target.
    public static let upstreamMerged = EventKind(rawValue: "upstream-merged")
    /// The remote's commits conflict with the target.
    public static let upstreamConflict = EventKind(rawValue: "upstream-conflict")

    public var description: String { rawValue }
}
