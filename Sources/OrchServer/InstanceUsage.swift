import Foundation
import OrchCore

/// Tokens and cost an instance's sessions used, and what its subscription's
/// windows stand at, from the status line's input (docs/usage-signals.md):
/// `cost.total_cost_usd`, `context_window.total_input_tokens` (cache reads and
/// writes included) and `total_output_tokens` for the session so far, and, for
/// a subscription login, `rate_limits.five_hour` / `seven_day`
/// (`used_percentage`, `resets_at`).
public struct InstanceUsage: Sendable, Equatable, Codable {
    /// Input tokens, cache reads and writes included.
    public var inputTokens = 0
    /// Output tokens.
    public var outputTokens = 0
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
        costUSD += other.costUSD
    }
}

/// One status-line report: its session and that session's totals so far.
struct StatusLineReport: Sendable, Equatable {
    let sessionID: String?
    let totals: InstanceUsage

    init(_ event: HookEvent) {
        sessionID = event.sessionID
        var totals = InstanceUsage()
        if case .object(let cost)? = event.fields["cost"] { totals.costUSD = Self.number(cost["total_cost_usd"]) ?? 0 }
        if case .object(let context)? = event.fields["context_window"] {
            totals.inputTokens = Int(Self.number(context["total_input_tokens"]) ?? 0)
            totals.outputTokens = Int(Self.number(context["total_output_tokens"]) ?? 0)
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
