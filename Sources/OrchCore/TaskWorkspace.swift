import GitKit
import OrchWire

/// orch's clone as the task flow reads it and moves the workers' branches
/// between hook events, with what it learnt kept: the task lists parse
/// once per target tip, a branch's trailers once per pair of tips, the marks
/// are read once (only the flow writes them), and a worker's branch is merged
/// with the target only when one of them moved.
///
/// Not `Sendable` in spirit: one ``BlockingQueue`` owns it, and every call is
/// made from work on that queue.
///
/// ```swift
/// let workspace = TaskWorkspace(target: "main", layout: layout)
/// let ledger = try workspace.ledger()
/// let outcome = try workspace.updateBranch(of: 2, toTarget: ledger.targetTip)
/// ```
public final class TaskWorkspace: @unchecked Sendable {
    /// The target branch.
    public let target: String
    let layout: StateLayout
    let sync: WorkerBranchSync
    private var repository: Repository?
    private var boardCache: (tip: ObjectID, board: TaskBoard)?
    private var finishedCache: [Int: (branchTip: ObjectID?, targetTip: ObjectID, finished: Set<TaskID>)] = [:]
    private var marks: TaskLedger.Marks?
    private var failureCache: (references: [String: ObjectID], failures: [CheckFailure])?
    /// Per worker: the target tip its branch was last brought up to date with, and its branch's tip right after.
    private var synced: [Int: (target: ObjectID, branchTip: ObjectID?)] = [:]

    public init(target: String, layout: StateLayout) {
        self.target = target
        self.layout = layout
        self.sync = WorkerBranchSync(target: target)
    }

    /// The task ledger as it stands.
    /// - Throws: ``OrchError`` when the target or a task list is unreadable; ``GitError``.
    public func ledger() throws -> TaskLedger {
        let repository = try repo()
        let tip = try TaskLedger.targetTip(repository: repository, target: target)
        let board: TaskBoard
        if let cached = boardCache, cached.tip == tip {
            board = cached.board
        } else {
            board = try TaskLedger.board(at: tip, repository: repository, target: target)
            boardCache = (tip, board)
        }
        var done: Set<TaskID> = []
        for worker in board.lists.keys {
            let branchTip = try repository.branchTip(InstanceName.worker(worker).branch)
            if let cached = finishedCache[worker], cached.branchTip == branchTip, cached.targetTip == tip {
                done.formUnion(cached.finished)
            } else {
                let finished = try TaskLedger.finished(onBranchOf: worker, targetTip: tip, board: board, repository: repository)
                finishedCache[worker] = (branchTip, tip, finished)
                done.formUnion(finished)
            }
        }
        if marks == nil { marks = try TaskLedger.Marks(repository: repository) }
        return TaskLedger(targetTip: tip, board: board, done: done, marks: marks!)
    }

    /// Every branch's last failed merge check. Asked on every poll and Stop, so the records are
    /// decoded again only when their references changed.
    public func checkFailures() throws -> [CheckFailure] {
        let repository = try repo()
        let references = try repository.references(withPrefix: CheckFailure.prefix)
        if let cached = failureCache, cached.references == references { return cached.failures }
        let failures = CheckFailure.records(at: references, in: repository)
        failureCache = (references, failures)
        return failures
    }

    /// The tip of a branch (`main`, `orch/worker-2`), nil when there is none.
    public func tip(of branch: String) throws -> ObjectID? {
        try repo().branchTip(branch)
    }

    /// What an instance's clone mirrors of orch's clone, as ``HookWire/mirror(branch:target:upstream:)`` spells it.
    public func mirror(of instance: InstanceName) throws -> String {
        let repository = try repo()
        return HookWire.mirror(branch: try repository.branchTip(instance.branch).map { "\($0)" },
                               target: try repository.branchTip(target).map { "\($0)" },
                               upstream: try repository.referenceTarget(RemoteSync.trackingRef(of: target)).map { "\($0)" })
    }

    /// Takes a delivery into the cached marks (the ``LedgerRecorder`` writes it to git).
    public func noteDelivered(_ task: TaskID) {
        if marks == nil { marks = try? TaskLedger.Marks(repository: repo()) }
        marks?.delivered.insert(task)
    }

    /// Takes a failure into the cached marks.
    public func noteFailed(_ task: TaskID) {
        if marks == nil { marks = try? TaskLedger.Marks(repository: repo()) }
        marks?.failed.insert(task)
    }

    /// The target tip a worker's branch was last brought up to date with (whatever came of it).
    public func lastSync(of worker: Int) -> ObjectID? { synced[worker]?.target }

    /// Merges the target into a quiescent worker's branch in orch's clone (see ``WorkerBranchSync``),
    /// unless neither moved since the branch last held the target.
    /// - Throws: ``OrchError`` or ``GitError`` when git fails; the last sync is then unchanged.
    public func updateBranch(of worker: Int, toTarget targetTip: ObjectID) throws -> WorkerBranchSync.Outcome {
        let branch = InstanceName.worker(worker).branch
        if let last = synced[worker], last.target == targetTip, let branchTip = last.branchTip, try repo().branchTip(branch) == branchTip {
            return .upToDate
        }
        let outcome = try sync.update(branch: branch, in: repo())
        let branchTip: ObjectID?
        switch outcome {
        case .upToDate:
            branchTip = try repo().branchTip(branch)
        case .updated(let tip):
            branchTip = tip
            // Taking in the target adds no commit of the worker's own: its finished tasks stay as they were.
            if let cached = finishedCache[worker], cached.targetTip == targetTip {
                finishedCache[worker] = (tip, targetTip, cached.finished)
            }
        case .conflicted, .blockedByLocalChanges:
            branchTip = nil
        }
        synced[worker] = (targetTip, branchTip)
        return outcome
    }

    private func repo() throws -> Repository {
        if let repository { return repository }
        let opened = try Repository.open(at: layout.clone)
        repository = opened
        return opened
    }
}
