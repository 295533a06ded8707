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
actor MarkWriter {
    let repositoryPath: String
    let logger: Logger
    var repository: Repository?

    init(repository: String, logger: Logger) {
        self.repositoryPath = repository
        self.logger = logger
    }

    func delivered(_ task: TaskID, at commit: ObjectID) {
        do {
            try TaskLedger.markDelivered(task, at: commit, in: repo())
        } catch {
            logger.error("cannot record the delivery of \(task) in git: \(error)")
        }
    }

    func failed(_ task: TaskID, at commit: ObjectID) {
        do {
            try TaskLedger.markFailed(task, at: commit, in: repo())
        } catch {
            logger.error("cannot record that \(task) failed in git: \(error)")
        }
    }

    private func repo() throws -> Repository {
        if let repository { return repository }
        let opened = try Repository.open(at: repositoryPath)
        repository = opened
        return opened
    }
}
