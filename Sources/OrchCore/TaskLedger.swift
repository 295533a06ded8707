import Foundation
import GitKit

/// Where every task stands, derived from git alone, so a restarted server
/// reads the same state it left:
///
/// - the task lists on the target say which worker owns a task and whether it
///   is merged (`[x]`);
/// - an `Orch-Task:` trailer on a commit of the worker's branch that the target
///   does not hold yet makes it done;
/// - `refs/orch/delivered/<id>` and `refs/orch/failed/<id>` record that orch
///   handed it to its worker, or gave up on it.
///
/// ```swift
/// let ledger = try TaskLedger(repository: repository, target: "main")
/// ledger.current(of: 2)?.state   // .delivered: worker-2 is on it
/// ledger.queue(of: 2).count      // what waits behind it
/// ```
public struct TaskLedger: Sendable, Equatable {
    /// A task's state.
    public enum State: String, Sendable, Equatable, Codable {
        /// In its worker's list, not handed over yet.
        case queued
        /// Handed to its worker, not done yet.
        case delivered
        /// Its worker's branch holds the trailer; waits to be merged.
        case done
        /// Ticked on the target.
        case merged
        /// Orch gave up on it (the worker stopped without doing it too often).
        case failed
    }

    /// One task and its state.
    public struct Task: Sendable, Equatable {
        /// Its id.
        public let id: TaskID
        /// The worker whose list holds it.
        public let worker: Int
        /// What to do.
        public let text: String
        /// Where it stands.
        public let state: State
    }

    /// Where the records of delivered tasks live.
    public static let deliveredPrefix = "refs/orch/delivered/"
    /// Where the records of failed tasks live.
    public static let failedPrefix = "refs/orch/failed/"

    /// The target's tip the state was read at.
    public let targetTip: ObjectID
    /// Every task, by worker, in list order.
    public let tasks: [Task]

    /// Reads the state.
    /// - Parameters:
    ///   - repository: the repository holding the target and the worker branches.
    ///   - target: the target branch.
    /// - Throws: ``OrchError`` when the target is missing or a task list is malformed; ``GitError`` when git fails.
    public init(repository: Repository, target: String) throws {
        let tip = try Self.targetTip(repository: repository, target: target)
        let board = try Self.board(at: tip, repository: repository, target: target)
        var done: Set<TaskID> = []
        for worker in board.lists.keys {
            done.formUnion(try Self.finished(onBranchOf: worker, targetTip: tip, board: board, repository: repository))
        }
        self.init(targetTip: tip, board: board, done: done, marks: try Marks(repository: repository))
    }

    /// Puts the state together from parts read earlier (a server caches them between hook events).
    /// - Parameters:
    ///   - targetTip: the target's tip.
    ///   - board: the task lists at that tip.
    ///   - done: the tasks whose trailers are on worker branches but not on the target.
    ///   - marks: the delivered and failed records.
    public init(targetTip: ObjectID, board: TaskBoard, done: Set<TaskID>, marks: Marks) {
        self.targetTip = targetTip
        tasks = board.tasks.map { worker, task in
            let state: State
            if task.isDone { state = .merged }
            else if done.contains(task.id) { state = .done }
            else if marks.failed.contains(task.id) { state = .failed }
            else if marks.delivered.contains(task.id) { state = .delivered }
            else { state = .queued }
            return Task(id: task.id, worker: worker, text: task.text, state: state)
        }
    }

    /// The records under `refs/orch/`: which tasks were handed over, which failed.
    public struct Marks: Sendable, Equatable {
        /// Tasks handed to their worker.
        public var delivered: Set<TaskID>
        /// Tasks orch gave up on.
        public var failed: Set<TaskID>

        /// Reads them.
        /// - Parameters:
        ///   - repository: the repository.
        /// - Throws: ``GitError`` when the references cannot be listed.
        public init(repository: Repository) throws {
            delivered = Set(try repository.references(withPrefix: TaskLedger.deliveredPrefix).keys.compactMap { TaskID($0.dropFirst(TaskLedger.deliveredPrefix.count)) })
            failed = Set(try repository.references(withPrefix: TaskLedger.failedPrefix).keys.compactMap { TaskID($0.dropFirst(TaskLedger.failedPrefix.count)) })
        }

        /// Every id orch handed out or gave up on: no new task may take one, even once its line is gone.
        public var used: Set<TaskID> { delivered.union(failed) }
    }

    /// The target's tip.
    /// - Throws: ``OrchError`` when the target is missing.
    public static func targetTip(repository: Repository, target: String) throws -> ObjectID {
        guard let tip = try repository.branchTip(target) else {
            throw OrchError.usage("no target branch \(target) in \(repository.displayPath)")
        }
        return tip
    }

    /// The task lists at a commit of the target.
    /// - Throws: ``OrchError`` when a list is malformed.
    public static func board(at tip: ObjectID, repository: Repository, target: String) throws -> TaskBoard {
        do {
            return try TaskBoard(TreeSnapshot(tree: repository.treeID(ofCommit: tip), in: repository))
        } catch let error as TaskListError {
            throw OrchError.usage("\(target): \(error)")
        }
    }

    /// The tasks of a worker's own list whose trailers are on its branch but not
    /// on the target. A trailer naming another worker's task counts for nothing:
    /// a branch can only finish its own worker's tasks.
    /// - Throws: ``GitError`` when the history cannot be read.
    public static func finished(onBranchOf worker: Int, targetTip: ObjectID, board: TaskBoard, repository: Repository) throws -> Set<TaskID> {
        guard let branchTip = try repository.branchTip(InstanceName.worker(worker).branch) else { return [] }
        let own = Set(board.lists[worker]?.tasks.map(\.id) ?? [])
        return Set(try repository.commits(from: branchTip, excluding: targetTip)
            .flatMap { $0.trailerValues(TaskID.trailerKey) }.compactMap { TaskID($0) }.filter(own.contains))
    }

    /// A worker's tasks, in list order.
    /// - Parameters:
    ///   - worker: the worker's number.
    public func tasks(of worker: Int) -> [Task] { tasks.filter { $0.worker == worker } }

    /// The task a worker is on or gets next: its first task neither done, merged nor failed.
    /// - Parameters:
    ///   - worker: the worker's number.
    public func current(of worker: Int) -> Task? {
        tasks(of: worker).first { $0.state == .queued || $0.state == .delivered }
    }

    /// The tasks waiting behind a worker's current one.
    /// - Parameters:
    ///   - worker: the worker's number.
    public func queue(of worker: Int) -> [Task] {
        Array(tasks(of: worker).filter { $0.state == .queued || $0.state == .delivered }.dropFirst())
    }

    /// One task.
    /// - Parameters:
    ///   - id: its id.
    public func task(_ id: TaskID) -> Task? { tasks.first { $0.id == id } }

    /// How many tasks are in each state.
    public var counts: [State: Int] {
        tasks.reduce(into: [:]) { $0[$1.state, default: 0] += 1 }
    }
}
