import Foundation

/// A continuation resumed by whichever comes first: the work or its deadline.
final class ResumeOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var early: Result<Value, any Error>?
    private var installed = false

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.withLock {
            installed = true
            if let early { continuation.resume(with: early) } else { self.continuation = continuation }
        }
    }

    /// Whether the waiter has its answer already (the deadline or a cancellation came first).
    var isSettled: Bool {
        lock.withLock { early != nil || (continuation == nil && installed) }
    }

    func resume(with result: Result<Value, any Error>) {
        lock.withLock {
            if let continuation {
                self.continuation = nil
                continuation.resume(with: result)
            } else if early == nil, continuation == nil {
                early = result
            }
        }
    }
}

struct TimedOut: Error {
    let seconds: Double
}

/// How many network operations are queued or running.
final class RunningCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var isBusy: Bool { lock.withLock { count > 0 } }
    func enter() { lock.withLock { count += 1 } }
    func leave() { lock.withLock { count -= 1 } }
}
