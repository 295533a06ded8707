import GitKit

/// Adds a task to a worker's list on the target branch: `orch assign`.
///
/// The commit is written straight to the target by compare-and-swap, so any
/// number of concurrent assigners each get their own id and none is lost.
public struct TaskAssignment: Sendable {
    /// The worker to receive the task, from 1.
    public let worker: Int
    /// What to do, one line.
    public let text: String
    /// The target branch.
    public let branch: String

    /// - Parameters:
    ///   - worker: the worker's number, from 1.
    ///   - text: the task's text; surrounding white space is dropped.
    ///   - branch: the target branch.
    /// - Throws: ``OrchError`` (usage) when the worker or text is not valid.
    public init(worker: Int, text: String, branch: String) throws {
        guard worker >= 1 else {
            throw OrchError.usage("--worker must be 1 or more, got \(worker)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw OrchError.usage("the task text is empty") }
        guard !trimmed.contains(where: \.isNewline) else {
            throw OrchError.usage("the task text must be one line")
        }
        if let control = trimmed.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            // It would be typed into a worker's pane: an escape sequence there is a keystroke.
            throw OrchError.usage("the task text holds a control character (U+\(String(format: "%04X", control.value))); write it as plain text")
        }
        self.worker = worker
        self.text = trimmed
        self.branch = branch
    }

    /// Commits the task to the target branch.
    /// - Parameters:
    ///   - repository: the repository holding the target branch.
    /// - Returns: the new task's id.
    /// - Throws: ``OrchError`` when the target is missing or its task lists are malformed;
    ///   ``GitError`` when git fails.
    public func commit(to repository: Repository) throws -> TaskID {
        guard try repository.branchTip(branch) != nil else {
            throw OrchError.usage("no branch \(branch) in \(repository.displayPath)")
        }
        let checkouts = try CheckedOutTarget(repository: repository, branch: branch)
        let used = try TaskLedger.Marks(repository: repository).used
        var assigned: TaskID?
        let outcome: CommitFilesOutcome
        do {
            outcome = try repository.commitFiles(to: branch, beforeMoving: checkouts.check(movingTo:)) { snapshot in
                var board = try TaskBoard(snapshot)
                let id = board.nextID(after: used)
                board.append(TaskEntry(id: id, text: text), worker: worker)
                assigned = id
                return CommitPlan(message: "orch: assign \(id) to worker-\(worker)\n\n\(id): \(text)\n", changes: board.changes(for: [worker]))
            }
        } catch let error as TaskListError {
            throw OrchError.usage("\(branch): \(error)")
        }
        if case .committed(let commit) = outcome, !checkouts.paths.isEmpty {
            try checkouts.sync(in: repository, from: repository.commit(commit).parents.first, to: commit)
        }
        return assigned!
    }
}

import Foundation

extension Repository {
    /// The path to show a person: the working tree, else the git directory.
    var displayPath: String {
        let path = workingDirectory ?? gitDirectory
        return path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}
