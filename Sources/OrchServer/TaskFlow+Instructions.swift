import OrchCore

/// The texts orch gives instances. Every instruction that hands over a task
/// holds the literal trailer line `Orch-Task: <id>`.
extension TaskFlow {
    /// The instruction handing a worker its next task.
    /// - Parameters:
    ///   - task: the task.
    ///   - sync: what bringing the branch up to date found.
    ///   - resumed: the task was handed over before (the worker stopped outside a Stop hook).
    ///   - oneLine: for typing into a pane, where a newline would submit early.
    static func taskInstruction(_ task: TaskLedger.Task, branch: String, target: String, sync: WorkerBranchSync.Outcome?,
                                resumed: Bool = false, oneLine: Bool = false) -> String {
        var parts: [String] = []
        parts.append(resumed ? "Carry on with task \(task.id): \(task.text)" : "Next task \(task.id): \(task.text)")
        if let sync, let first = syncInstruction(sync, branch: branch, target: target) {
            parts.append("Before the task: \(first)")
        }
        parts.append("Do the task, run the tests, and commit on \(branch) with a message whose last paragraph is this trailer line:")
        parts.append("\(BranchMerge.taskTrailer): \(task.id)")
        parts.append("Then stop; orch hands you your next task.")
        return parts.joined(separator: oneLine ? " " : "\n\n")
    }

    /// What a worker must do to take in the target, or nil when nothing.
    static func syncInstruction(_ sync: WorkerBranchSync.Outcome, branch: String, target: String) -> String? {
        switch sync {
        case .upToDate, .updated:
            return nil
        case .conflicted(let paths):
            return "your branch \(branch) conflicts with \(target) in: \(paths.joined(separator: ", ")). Run `git merge \(target)`, resolve those paths keeping both sides' changes, and commit the merge."
        case .blockedByLocalChanges(let message):
            return "orch could not bring \(branch) up to date with \(target) (\(message)); commit or discard those changes, then run `git merge \(target)` and commit."
        }
    }

    /// The reminder for a worker that stopped with its task not done.
    static func reminder(_ task: TaskLedger.Task, branch: String, count: Int, of limit: Int) -> String {
        """
        Task \(task.id) is not done: no commit on \(branch) carries its trailer yet (reminder \(count) of \(limit)). \
        Finish it: \(task.text)

        Commit with this trailer line as the last paragraph of the message:

        \(BranchMerge.taskTrailer): \(task.id)
        """
    }

    /// Notices as the manager reads them.
    static func noticeText(_ notices: [ManagerNotice], oneLine: Bool) -> String {
        if oneLine {
            return "[orch] " + notices.map(\.text).joined(separator: " | ") + " | Act on these, then stop."
        }
        return "[orch] notices:\n" + notices.map { "- \($0.text)" }.joined(separator: "\n") + "\n\nAct on these (merge done work, keep every worker's queue non-empty), then stop."
    }
}
