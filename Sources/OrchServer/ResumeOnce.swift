import Foundation

/// A continuation resumed by whichever comes first: the work or its deadline.
final class ResumeOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var early: Result<Value, any Error>?

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.withLock {
            if let early { continuation.resume(with: early) } else { self.continuation = continuation }
        }
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
