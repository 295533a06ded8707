import Dispatch

/// A serial queue for blocking work (libgit2 calls, file writes), so that it
/// never holds a thread of Swift's cooperative pool: that pool has one thread
/// per core, two on a small machine, and a merge or a ref write (most of a
/// millisecond on ext4) there stalls every other task. Work on one queue runs
/// one piece at a time, in the order it was handed in, which also makes a
/// queue the owner of whatever non-`Sendable` state its work touches.
///
/// Two ways in: ``run(_:)-(()->Value)`` for one piece of work, or an actor
/// whose executor is the queue, for state that blocking work keeps between
/// calls (the task flow): its methods then run on the queue with no extra hop.
///
/// ```swift
/// let git = BlockingQueue(label: "orch.flow")
/// let ledger = try await git.run { try workspace.ledger() }
///
/// actor Flow {
///     let queue = BlockingQueue(label: "orch.flow")
///     nonisolated var unownedExecutor: UnownedSerialExecutor { queue.asUnownedSerialExecutor() }
/// }
/// ```
public final class BlockingQueue: SerialExecutor, Sendable {
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

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
