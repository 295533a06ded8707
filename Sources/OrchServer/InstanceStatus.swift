import Foundation
import OrchCore

/// What the server knows of one instance: its health, its conversation and
/// whether it is busy, from hook events and the health checks.
public struct InstanceStatus: Sendable, Equatable {
    /// Where the instance stands with the health checks.
    public enum Health: Sendable, Equatable {
        /// Started; no SessionStart seen yet.
        case starting
        /// Its session has started.
        case running
        /// It failed a check and waits out its backoff before the restart.
        case waitingToRestart(reason: String, at: Date)
        /// It failed too often in the window and is left stopped.
        case failed(reason: String)
        /// Every credential file is rate-limited: it waits, stopped, for the earliest reset.
        case paused(until: Date)
    }

    /// Health.
    public var health: Health = .starting
    /// The conversation, from the last SessionStart.
    public var sessionID: String?
    /// The session its last start resumed, nil for a fresh start.
    public var resumedSession: String?
    /// Busy with a turn (last event started one, none ended it since).
    public var working = false
    /// The last hook event received.
    public var lastEvent: HookEventName?
    /// The last hook event, start or restart.
    public var lastActivity: Date
    /// When the current container was started (or adopted).
    public var startedAt: Date
    /// Restarts in this run of the server.
    public var restarts = 0
    /// Failures inside the policy's window, oldest first.
    public var recentFailures: [Date] = []
    /// Why it was last restarted.
    public var lastFailure: String?
    /// Its sessions' tokens and cost in this run of the server, and its windows as last reported.
    public var usage = InstanceUsage()
    /// The last status-line report's session and totals, which the next one's are counted from.
    var usageBaseline: StatusLineReport?
    /// The task it works on as orch last noted it, and its usage then.
    var currentTask: TaskStart?

    /// A task and the instance's usage when orch noted it started.
    struct TaskStart: Sendable, Equatable {
        var task: String?
        var usage: InstanceUsage
    }

    /// - Parameters:
    ///   - now: when it was started.
    public init(startedAt now: Date) {
        lastActivity = now
        startedAt = now
    }
}
