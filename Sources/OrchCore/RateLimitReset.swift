import Foundation

/// When a rate limit resets, read from what Claude Code shows: the
/// `anthropic-ratelimit-unified-reset` epoch (in the transcript's
/// `apiErrorParams`), or a text like `resets 6:46pm (UTC)` (the pane, the
/// StopFailure hook's `last_assistant_message`).
///
/// ```swift
/// RateLimitReset.parse("You've hit your 5-hour limit · resets 6:46pm (UTC)", now: now)  // today or tomorrow at 18:46 UTC
/// ```
public enum RateLimitReset {
    /// The longest wait orch believes: subscriptions reset weekly at most, so a
    /// claimed reset further off (the year 2286, say) is taken as this.
    public static let longest: TimeInterval = 8 * 86_400

    /// The reset time a text gives, or nil when it gives none.
    /// - Parameters:
    ///   - text: what the client showed or wrote.
    ///   - now: the current time (a clock time means its next occurrence).
    public static func parse(_ text: String, now: Date) -> Date? {
        if let epoch = firstMatch(#"(?i)reset[a-z_]*["'\s:=]+(\d{10})(?!\d)"#, in: text)?.first.flatMap({ TimeInterval($0) }) {
            return Date(timeIntervalSince1970: epoch)
        }
        guard let groups = firstMatch(#"(?i)resets\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*(?:\(([^)]+)\))?"#, in: text),
              var hour = Int(groups[0]), hour < 24 else { return nil }
        let minute = Int(groups[1]) ?? 0
        switch groups[2].lowercased() {
        case "pm" where hour < 12: hour += 12
        case "am" where hour == 12: hour = 0
        default: break
        }
        let zone = TimeZone(identifier: groups[3]) ?? TimeZone(abbreviation: groups[3]) ?? TimeZone(identifier: "UTC")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var components = calendar.dateComponents([.year, .month, .day], from: now)
        components.hour = hour
        components.minute = minute
        guard var reset = calendar.date(from: components) else { return nil }
        if reset <= now { reset = calendar.date(byAdding: .day, value: 1, to: reset) ?? reset }
        return reset
    }

    private static func firstMatch(_ pattern: String, in text: String) -> [String]? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        return (1..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
        }
    }
}
