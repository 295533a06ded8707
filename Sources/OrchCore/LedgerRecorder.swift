import GitKit
import Logging

/// Writes the task flow's records (`refs/orch/delivered/…`, `refs/orch/failed/…`)
/// in order, on a queue and a repository handle of its own, so that a hook's
/// reply never waits for a ref write (most of a millisecond on ext4). A write
/// that fails is logged: a lost mark only changes whether a worker's next Stop
/// gets a reminder or the task afresh.
///
/// ```swift
/// let recorder = LedgerRecorder(repository: layout.clone, logger: logger)
/// await recorder.delivered(TaskID(7), at: tip)
/// ```
public final class LedgerRecorder: @unchecked Sendable {
    let repositoryPath: String
    let logger: Logger
    /// Touched only by work on `queue`: the one owner of this handle.
    private var repository: Repository?
    private let queue = BlockingQueue(label: "orch.ledger-recorder")

    /// - Parameters:
    ///   - repository: orch's clone.
    public init(repository: String, logger: Logger) {
        self.repositoryPath = repository
        self.logger = logger
    }

    /// Records that `task` went to its worker when the target was at `commit`.
    public func delivered(_ task: TaskID, at commit: ObjectID) async {
        await write("record the delivery of \(task)") { try TaskLedger.markDelivered(task, at: commit, in: $0) }
    }

    /// Records that orch gave up on `task`, at its branch's tip `commit`.
    public func failed(_ task: TaskID, at commit: ObjectID) async {
        await write("record that \(task) failed") { try TaskLedger.markFailed(task, at: commit, in: $0) }
    }

    /// Records that the worker of `branch` had its turn on the merge check that failed at `tip` (see ``CheckFailure``).
    public func checkFixed(branch: String, failedAt tip: String, fixedAt: String) async {
        await write("record the fix of \(branch)'s failed merge check") { try CheckFailure.markFixed(branch: branch, failedAt: tip, fixedAt: fixedAt, in: $0) }
    }

    private func write(_ what: String, _ body: @escaping @Sendable (Repository) throws -> Void) async {
        await queue.run {
            do {
                try body(self.repo())
            } catch {
                self.logger.error("cannot \(what) in git: \(error)")
            }
        }
    }

    private func repo() throws -> Repository {
        if let repository { return repository }
        let opened = try Repository.open(at: repositoryPath)
        repository = opened
        return opened
    }
}
