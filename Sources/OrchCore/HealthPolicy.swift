/// When the server restarts an instance and when it gives up: the optional
/// `health` object of `orchestrator.json`.
///
/// ```json
/// "health": {"checkSeconds": 2, "silenceSeconds": 1800, "maxRestarts": 5, "windowSeconds": 600, "backoffSeconds": 2, "maxBackoffSeconds": 60, "rateLimitSeconds": 900, "rateLimitSignalSeconds": 60, "rotateAtPercent": 95}
/// ```
public struct HealthPolicy: Equatable, Sendable {
    /// How often tmux sessions and panes are checked.
    public var checkSeconds: Double = 2
    /// A working instance with no hook event and no transcript write for this long is restarted.
    public var silenceSeconds: Double = 1800
    /// This many restarts inside `windowSeconds` mark the instance failed.
    public var maxRestarts: Int = 5
    /// The window `maxRestarts` counts in.
    public var windowSeconds: Double = 600
    /// The first restart waits this long; each further one in the window twice as long.
    public var backoffSeconds: Double = 2
    /// The longest wait before a restart.
    public var maxBackoffSeconds: Double = 60
    /// How long a rate limit is assumed to last when the client shows no reset time (an API key's 429 shows none).
    public var rateLimitSeconds: Double = 900
    /// One instance's rate-limit signals are acted on at most once in this long; a later one waits
    /// for the window to pass (a container that fakes them cannot walk the pool faster).
    public var rateLimitSignalSeconds: Double = 60
    /// A subscription window used this much (percent, either window, as its holder's status line reports it)
    /// moves the instance to a free file at its next Stop between tasks, before the limit stops it mid-task.
    public var rotateAtPercent: Double = 95

    /// The defaults.
    public init() {}

    /// The fields of the `health` object, for validation.
    static let fields = ["checkSeconds", "silenceSeconds", "maxRestarts", "windowSeconds", "backoffSeconds", "maxBackoffSeconds", "rateLimitSeconds",
                          "rateLimitSignalSeconds", "rotateAtPercent"]

    /// The wait before the restart that follows `failures` failures in the window (1 = the first).
    /// - Parameters:
    ///   - failures: failures counted in the window, this one included.
    public func backoff(afterFailures failures: Int) -> Double {
        let doubled = backoffSeconds * Double(1 << min(max(failures - 1, 0), 20))
        return min(doubled, maxBackoffSeconds)
    }
}
