#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock that the forwarder must be done by.
struct Deadline {
    private let end: Double

    /// `seconds` from now.
    init(seconds: Double) { end = Self.now() + seconds }

    /// What is left, never below zero.
    var remaining: Double { max(0, end - Self.now()) }

    /// What is left in whole milliseconds, for `poll`.
    var remainingMilliseconds: Int32 { Int32(min(remaining * 1000, Double(Int32.max))) }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Sleeps `seconds`, or what is left if that is less.
    func pause(_ seconds: Double) {
        let span = min(seconds, remaining)
        var request = timespec(tv_sec: Int(span), tv_nsec: Int((span - Double(Int(span))) * 1e9))
        var left = timespec()
        while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
    }
}
