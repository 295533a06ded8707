import Foundation
import OrchCore

/// The texts orch gives instances. Every instruction that hands over a task
/// holds the literal trailer line `Orch-Task: <id>`.
enum Instructions {
    /// What every notice text typed into the manager's pane starts with (its UserPromptSubmit shows it).
    static let noticeMarker = "[orch] "
    /// What an instruction to take in the target starts with.
    static let syncMarker = "Before anything else: "

    /// The instruction handing a worker its next task.
    /// - Parameters:
    ///   - task: the task.
    ///   - sync: what bringing the branch up to date found.
    ///   - resumed: the task was handed over before (the worker stopped outside a Stop hook).
    ///   - oneLine: for typing into a pane, where a newline would submit early.
    ///   - takeFirst: the instance's hooks run no orch (`"hooks": "http"`), so it takes its branch by running `orch checkout`.
    static func taskInstruction(_ task: TaskLedger.Task, branch: String, target: String, sync: WorkerBranchSync.Outcome?,
                                resumed: Bool = false, oneLine: Bool = false, takeFirst: Bool = false, checkFailure: CheckFailure? = nil) -> String {
        var parts: [String] = []
        parts.append(resumed ? "Carry on with task \(task.id): \(task.text)" : "Next task \(task.id): \(task.text)")
        if let checkFailure { parts.append("Before the task: " + fix(checkFailure, target: target, oneLine: oneLine)) }
        if takeFirst { parts.append(takeBranch(branch, target: target)) }
        if let sync, let first = syncInstruction(sync, branch: branch, target: target) {
            parts.append("Before the task: \(first)")
        }
        parts.append("Do the task, run the tests, and commit on \(branch) with a message whose last paragraph is this trailer line:")
        parts.append(task.id.trailer)
        parts.append("Then stop; orch hands you your next task.")
        return parts.joined(separator: oneLine ? " " : "\n\n")
    }

    /// What tells a worker whose hooks run no orch to bring its clone to the server's branch.
    static let takeMarker = "Run `orch checkout` first"

    static func takeBranch(_ branch: String, target: String) -> String {
        "\(takeMarker): it brings your clone to \(branch) as the server has it (orch may have merged \(target) into it) and fetches \(target)."
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

    /// What every instruction to fix a failed merge check holds (the scripted model's rules match it).
    static let fixMarker = "so that the merge check passes"

    /// A worker's instruction to fix its branch after its merge failed the check, with the output's end.
    static func fix(_ failure: CheckFailure, target: String, oneLine: Bool = false) -> String {
        let what = failure.tasks.isEmpty ? "" : " of \(failure.tasks.joined(separator: ", "))"
        let shown = String(failure.tail.suffix(3_000))
        return "Fix \(failure.branch) \(fixMarker): the merge\(what) into \(target) fails it (\(failure.summary)), so \(target) is unchanged. "
            + "Run `\(failure.command)` yourself, fix the code, and commit on \(failure.branch). The check's output ends with:"
            + (oneLine ? " " + shown.split(whereSeparator: \.isNewline).joined(separator: " | ") : "\n" + shown)
    }

    /// The manager's notice of a merge that failed the check.
    static func checkFailed(_ failure: CheckFailure, target: String) -> String {
        let what = failure.tasks.isEmpty ? failure.branch : "\(failure.tasks.joined(separator: ", ")) (\(failure.branch))"
        let head = "the merge of \(what) into \(target) fails the merge check: \(failure.summary); \(target) is unchanged. "
        guard let worker = InstanceName(branch: failure.branch), worker.workerNumber != nil else {
            return head + "Its output ends: \(failure.tail.suffix(600).split(whereSeparator: \.isNewline).joined(separator: " | ")). "
                + "Fix it on \(failure.branch) and merge it again."
        }
        return head + "orch handed the output to \(worker) and tells you when it has worked on it."
    }

    /// The manager's notice that a worker had its turn on its failed merge check.
    static func checkFixed(_ worker: Int) -> String {
        "\(InstanceName.worker(worker)) worked on what failed the merge check: merge it again with `orch merge \(InstanceName.worker(worker))`."
    }

    /// The reminder for a worker that stopped with its task not done.
    static func reminder(_ task: TaskLedger.Task, branch: String, count: Int, of limit: Int) -> String {
        """
        Task \(task.id) is not done: no commit on \(branch) carries its trailer yet (reminder \(count) of \(limit)). \
        Finish it: \(task.text)

        Commit with this trailer line as the last paragraph of the message:

        \(task.id.trailer)
        """
    }

    /// Notices as the manager reads them.
    static func noticeText(_ notices: [ManagerNotice], oneLine: Bool) -> String {
        if oneLine {
            return noticeMarker + notices.map(\.text).joined(separator: " | ") + " | Act on these, then stop."
        }
        return noticeMarker.trimmingCharacters(in: .whitespaces) + " notices:\n" + notices.map { "- \($0.text)" }.joined(separator: "\n") + "\n\nAct on these (merge done work, keep every worker's queue non-empty), then stop."
    }
}

extension Instructions {
    /// The instruction for a worker whose branch must take in the target first.
    static func syncFirst(_ instruction: String, branch: String, target: String, takeFirst: Bool = false) -> String {
        (takeFirst ? takeBranch(branch, target: target) + " " : "") + syncMarker + instruction + " Then stop."
    }

    /// The manager's notice that a task is done.
    static func done(_ task: TaskLedger.Task) -> String {
        "\(task.id) is done on \(InstanceName.worker(task.worker).branch): merge it with `orch merge \(InstanceName.worker(task.worker))`."
    }

    /// The manager's notice that orch gave up on a task.
    static func failed(_ task: TaskLedger.Task, stops: Int) -> String {
        "\(task.id) (\(InstanceName.worker(task.worker))) failed: the worker stopped \(stops) times without committing it. Reassign it with `orch assign` if it still matters."
    }

    /// The manager's notice that a worker's queue is empty.
    static func idle(_ worker: Int) -> String {
        "\(InstanceName.worker(worker)) is idle: its queue is empty. Give it work with `orch assign --worker \(worker) \"…\"`."
    }

    /// The manager's notice that a worker's branch conflicts with the target.
    static func conflict(_ worker: Int, target: String, paths: [String]) -> String {
        let name = InstanceName.worker(worker)
        return "\(name.branch) conflicts with \(target) in \(paths.joined(separator: ", ")); orch asked \(name) to merge \(target) and resolve them. Merge \(name) once you hear it is resolved."
    }

    /// The manager's notice that a worker resolved its conflict.
    static func resolved(_ worker: Int, target: String) -> String {
        let name = InstanceName.worker(worker)
        return "\(name) resolved its conflict with \(target): merge it with `orch merge \(name)`."
    }

    /// How a branch update reads in the event log.
    static func describe(_ outcome: WorkerBranchSync.Outcome) -> String {
        switch outcome {
        case .upToDate: "up to date"
        case .updated: "updated"
        case .conflicted(let paths): "conflicted in \(paths.joined(separator: ", "))"
        case .blockedByLocalChanges(let message): "blocked by local changes: \(message)"
        }
    }
}
