import Dispatch

/// A serial queue for blocking work (libgit2 calls, file writes), so that it
/// never holds a thread of Swift's cooperative pool: that pool has one thread
/// per core, two on a small machine, and a merge or a ref write (most of a
/// millisecond on ext4) there stalls every other task. Work on one queue runs
/// one piece at a time, in the order it was handed in, which also makes a
/// queue the owner of whatever non-`Sendable` state its work touches.
///
/// ```swift
/// let git = BlockingQueue(label: "orch.flow")
/// let ledger = try await git.run { try workspace.ledger() }
/// ```
public final class BlockingQueue: Sendable {
    private let queue: DispatchQueue

    /// - Parameters:
    ///   - label: the queue's name in a debugger or a crash report.
    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `work` on the queue and returns its result.
    public func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work`, which cannot fail, on the queue and returns its result.
    public func run<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
