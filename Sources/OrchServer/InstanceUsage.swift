import Foundation
import OrchCore

/// Tokens and cost an instance's sessions used, and what its subscription's
/// windows stand at, from the status line's input (docs/usage-signals.md):
/// `cost.total_cost_usd` (the session's so far), `context_window.current_usage`
/// (the last response's tokens) and, for a subscription login,
/// `rate_limits.five_hour` / `seven_day` (`used_percentage`, `resets_at`).
/// A response's tokens count when the session's cost moved on since the last
/// report; two responses within one status-line update (300 ms) count as one.
public struct InstanceUsage: Sendable, Equatable, Codable {
    /// Input tokens (not cached).
    public var inputTokens = 0
    /// Output tokens.
    public var outputTokens = 0
    /// Input tokens read from the prompt cache.
    public var cacheReadTokens = 0
    /// Input tokens written to the prompt cache.
    public var cacheCreationTokens = 0
    /// Dollars, as the client prices them.
    public var costUSD = 0.0
    /// The 5-hour window, percent used; nil when the client reports none (an API key).
    public var fiveHourPercent: Double?
    /// The 7-day window, percent used.
    public var sevenDayPercent: Double?
    /// When the fuller window resets (Unix seconds).
    public var resetsAt: Int?

    public init() {}

    /// The larger of the two windows' use, percent; nil when unknown.
    public var utilisation: Double? { [fiveHourPercent, sevenDayPercent].compactMap { $0 }.max() }

    /// Adds another's tokens and cost (the windows are not added: the later report's stand).
    mutating func add(_ other: InstanceUsage) {
        inputTokens += other.inputTokens
        outputTokens += other.outputTokens
        cacheReadTokens += other.cacheReadTokens
        cacheCreationTokens += other.cacheCreationTokens
        costUSD += other.costUSD
    }

    /// This usage less an earlier one of the same counts (a task's share of its instance's).
    func since(_ start: InstanceUsage) -> InstanceUsage {
        var spent = self
        spent.inputTokens -= start.inputTokens
        spent.outputTokens -= start.outputTokens
        spent.cacheReadTokens -= start.cacheReadTokens
        spent.cacheCreationTokens -= start.cacheCreationTokens
        spent.costUSD -= start.costUSD
        return spent
    }
}

/// One status-line report: its session, that session's cost so far, the last response's tokens and the windows.
struct StatusLineReport: Sendable, Equatable {
    let sessionID: String?
    /// The session's cost so far, the last response's tokens, the windows.
    let totals: InstanceUsage

    init(_ event: HookEvent) {
        sessionID = event.sessionID
        var totals = InstanceUsage()
        if case .object(let cost)? = event.fields["cost"] { totals.costUSD = Self.number(cost["total_cost_usd"]) ?? 0 }
        if case .object(let context)? = event.fields["context_window"], case .object(let last)? = context["current_usage"] {
            totals.inputTokens = Int(Self.number(last["input_tokens"]) ?? 0)
            totals.outputTokens = Int(Self.number(last["output_tokens"]) ?? 0)
            totals.cacheReadTokens = Int(Self.number(last["cache_read_input_tokens"]) ?? 0)
            totals.cacheCreationTokens = Int(Self.number(last["cache_creation_input_tokens"]) ?? 0)
        }
        if case .object(let limits)? = event.fields["rate_limits"] {
            let windows = [("five_hour", \InstanceUsage.fiveHourPercent), ("seven_day", \InstanceUsage.sevenDayPercent)]
            for (name, path) in windows {
                guard case .object(let window)? = limits[name], let used = Self.number(window["used_percentage"]) else { continue }
                totals[keyPath: path] = min(max(used, 0), 100)
                if let reset = Self.number(window["resets_at"]) { totals.resetsAt = max(totals.resetsAt ?? 0, Int(reset)) }
            }
        }
        self.totals = totals
    }

    /// A finite, non-negative number (a container may send anything).
    static func number(_ value: JSONValue?) -> Double? {
        guard case .number(let number)? = value, number.isFinite, number >= 0, number < 1e15 else { return nil }
        return number
    }
}
