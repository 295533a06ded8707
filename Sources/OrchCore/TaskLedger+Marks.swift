import GitKit

extension TaskLedger {
    /// Records that a task was handed to its worker (idempotent).
    /// - Parameters:
    ///   - id: the task.
    ///   - commit: any commit to point the record at (the target's tip, say).
    ///   - repository: the repository.
    /// - Throws: ``GitError`` when the reference cannot be written.
    public static func markDelivered(_ id: TaskID, at commit: ObjectID, in repository: Repository) throws {
        try mark(deliveredPrefix + id.description, at: commit, in: repository)
    }

    /// Records that orch gave up on a task (idempotent).
    /// - Parameters:
    ///   - id: the task.
    ///   - commit: the worker branch's tip when it failed.
    ///   - repository: the repository.
    /// - Throws: ``GitError`` when the reference cannot be written.
    public static func markFailed(_ id: TaskID, at commit: ObjectID, in repository: Repository) throws {
        try mark(failedPrefix + id.description, at: commit, in: repository)
    }

    private static func mark(_ name: String, at commit: ObjectID, in repository: Repository) throws {
        do {
            try repository.updateReference(name, to: commit, expecting: nil, message: "orch: \(name)")
        } catch let error as GitError where error.code == .exists {
            // Already recorded: the first record stands.
        }
    }
}
