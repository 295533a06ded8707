import Foundation
import OrchCore

/// Tokens and cost an instance's sessions used, and what its subscription's
/// windows stand at (docs/usage-signals.md): every response's tokens from its
/// transcript (``TranscriptUsage``); the cost and, for a subscription login,
/// the windows from the status line's input (`cost.total_cost_usd`, the
/// session's so far; `rate_limits.five_hour` / `seven_day`).
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
    /// When the 5-hour window resets (Unix seconds).
    public var fiveHourResetsAt: Int?
    /// When the 7-day window resets (Unix seconds).
    public var sevenDayResetsAt: Int?

    public init() {}

    /// The larger of the two windows' use, percent; nil when unknown.
    public var utilisation: Double? { [fiveHourPercent, sevenDayPercent].compactMap { $0 }.max() }

    /// When the windows used at least `percent` reset (the latest of them); nil when none is, or its reset is unknown.
    public func reset(ofWindowsAt percent: Double) -> Int? {
        [(fiveHourPercent, fiveHourResetsAt), (sevenDayPercent, sevenDayResetsAt)]
            .compactMap { used, reset in (used ?? 0) >= percent ? reset : nil }.max()
    }

    /// Takes a report's windows where it gives them.
    mutating func takeWindows(of report: InstanceUsage) {
        fiveHourPercent = report.fiveHourPercent ?? fiveHourPercent
        sevenDayPercent = report.sevenDayPercent ?? sevenDayPercent
        fiveHourResetsAt = report.fiveHourResetsAt ?? fiveHourResetsAt
        sevenDayResetsAt = report.sevenDayResetsAt ?? sevenDayResetsAt
    }

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

/// One status-line report: its session, that session's cost so far and the windows (its tokens are the last
/// response's only, and a burst of responses inside one redraw shows one: tokens come from the transcript).
struct StatusLineReport: Sendable, Equatable {
    let sessionID: String?
    /// The session's cost so far and the windows.
    let totals: InstanceUsage

    init(_ event: HookEvent) {
        sessionID = event.sessionID
        var totals = InstanceUsage()
        if case .object(let cost)? = event.fields["cost"] { totals.costUSD = min(Self.number(cost["total_cost_usd"]) ?? 0, Self.largestCost) }
        if case .object(let limits)? = event.fields["rate_limits"] {
            let windows = [("five_hour", \InstanceUsage.fiveHourPercent, \InstanceUsage.fiveHourResetsAt),
                           ("seven_day", \InstanceUsage.sevenDayPercent, \InstanceUsage.sevenDayResetsAt)]
            for (name, percent, reset) in windows {
                guard case .object(let window)? = limits[name], let used = Self.number(window["used_percentage"]) else { continue }
                totals[keyPath: percent] = min(used, 100)
                totals[keyPath: reset] = Self.number(window["resets_at"]).map { Int(min($0, 1e12)) }
            }
        }
        self.totals = totals
    }

    /// No session has a larger cost: a container that claims more is capped, so sums stay finite however often it reports.
    static let largestCost = 1_000_000.0

    /// A finite, non-negative number (a container may send anything).
    static func number(_ value: JSONValue?) -> Double? {
        guard case .number(let number)? = value, number.isFinite, number >= 0, number < 1e15 else { return nil }
        return number
    }
}
