import Dispatch
import GitKit
import Logging
import OrchCore

/// Writes the task flow's records (`refs/orch/delivered/…`, `refs/orch/failed/…`)
/// in order, on its own repository handle, so that the flow's replies never
/// wait for a ref write (most of a millisecond on ext4).
///
/// ```swift
/// let writer = MarkWriter(repository: layout.clone, logger: logger)
/// await writer.delivered(TaskID(7), at: tip)
/// ```
final class MarkWriter: @unchecked Sendable {
    let repositoryPath: String
    let logger: Logger
    /// Used only on `queue`: the one owner of this handle.
    private var repository: Repository?
    /// Blocking file-system work stays off the concurrency pool (two threads on two cores).
    private let queue = DispatchQueue(label: "orch.mark-writer")

    init(repository: String, logger: Logger) {
        self.repositoryPath = repository
        self.logger = logger
    }

    func delivered(_ task: TaskID, at commit: ObjectID) async {
        await run("record the delivery of \(task)") { try TaskLedger.markDelivered(task, at: commit, in: $0) }
    }

    func failed(_ task: TaskID, at commit: ObjectID) async {
        await run("record that \(task) failed") { try TaskLedger.markFailed(task, at: commit, in: $0) }
    }

    private func run(_ what: String, _ write: @escaping @Sendable (Repository) throws -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                do {
                    try write(self.repo())
                } catch {
                    self.logger.error("cannot \(what) in git: \(error)")
                }
                done.resume()
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
