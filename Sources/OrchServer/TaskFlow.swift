import Foundation
import GitKit
import Logging
import OrchCore
import ServiceLifecycle

/// Keeps every worker busy and the manager informed, from hook events and the
/// target branch, with git refs as the only state that matters (see ``TaskLedger``).
///
/// - A worker's Stop with its task done gets the next queued task as the
///   hook's `block` reason, after its branch took in the target while it is
///   quiescent (a conflict becomes part of the instruction). With the task not
///   done it gets a reminder, up to `reminders` times, then the task is marked
///   failed. With nothing queued the stop is allowed and the worker is idle.
/// - Every `pollSeconds` it looks at the target: a task assigned to an idle
///   worker is typed into its pane and counts as delivered once its
///   UserPromptSubmit hook echoes it (else it is typed again); an idle
///   worker's branch takes in a moved target, and a conflict is typed to it.
/// - Notices for the manager are queued and delivered through its Stop hook,
///   or typed into its pane when it is idle, each exactly once (``NoticeRecord``).
///
/// ```swift
/// let flow = TaskFlow(repository: layout.clone, target: "main", workerCount: 3, layout: layout,
///                     typer: { instance, text in try await supervisor.type(text, into: instance) }, …)
/// let reply = await flow.workerStopped(2)   // from the Stop hook
/// ```
public actor TaskFlow: Service {
    /// How patient the flow is.
    public struct Policy: Sendable {
        /// Reminders for a worker that stops with its task not done, before the task fails.
        public var reminders = 3
        /// How long a typed instruction may wait for its UserPromptSubmit before it is typed again.
        public var confirmSeconds: Double = 15
        /// How often the target and the idle instances are looked at.
        public var pollSeconds: Double = 0.5

        /// The defaults.
        public init() {}
    }

    /// What the flow knows of one worker between hook events.
    struct WorkerState {
        /// It stopped and nothing was handed to it since.
        var idle = false
        /// Reminders given per task.
        var reminders: [TaskID: Int] = [:]
        /// An instruction typed into its pane, waiting for its UserPromptSubmit.
        var typed: Typed?
        /// Its branch conflicted with the target when last brought up to date.
        var conflictedAt: ObjectID?
        /// The target tip its branch was last brought up to date with.
        var syncedWith: ObjectID?
        /// Its branch's tip right after that, when it held the target then.
        var syncedBranchTip: ObjectID?
        /// Stops in a row with its branch still conflicting with the target.
        var conflictReminders = 0
    }

    /// An instruction typed into a pane.
    struct Typed {
        /// The text that its UserPromptSubmit must contain.
        var marker: String
        /// The instruction.
        var text: String
        /// The task it delivers, if any.
        var task: TaskID?
        /// When it was last typed.
        var at: Date
        /// How often it was typed.
        var attempts: Int
    }

    let repositoryPath: String
    let target: String
    let workerCount: Int
    let layout: StateLayout
    let policy: Policy
    let typer: @Sendable (InstanceName, String) async throws -> Void
    let board: InstanceBoard?
    let events: EventLog?
    let logger: Logger
    let sync: WorkerBranchSync

    var repository: Repository?
    /// Parts of the ledger, kept between events: the lists parse once per target tip, a branch's
    /// trailers once per pair of tips, and the marks are read once (only this flow writes them).
    var boardCache: (tip: ObjectID, board: TaskBoard)?
    var finishedCache: [Int: (branchTip: ObjectID?, targetTip: ObjectID, finished: Set<TaskID>)] = [:]
    var marks: TaskLedger.Marks?
    var worktrees: [Int: Repository] = [:]
    /// The last of the writes made after replies; each waits for the one before, so they land in order.
    var lastWrite: Task<Void, Never>?
    let writer: MarkWriter
    var workers: [Int: WorkerState] = [:]
    var managerIdle = false
    var managerTyped: (keys: [String], typed: Typed)?
    var pending: [ManagerNotice] = []
    var record: NoticeRecord
    var lastTip: ObjectID?
    var adoptionChecked = false
    /// The merged tasks seen last (the first look only sets it: merges before this server are not counted).
    var mergedSeen: Set<TaskID>?

    /// - Parameters:
    ///   - repository: the clone holding the target and the worker branches.
    ///   - target: the target branch.
    ///   - workerCount: the number of workers.
    ///   - layout: the state directory (worktrees, the notice record).
    ///   - policy: reminders and timings.
    ///   - typer: types a line into an instance's pane and presses Enter.
    ///   - board: the instances' health (nothing is typed into one that is down) and which were adopted;
    ///     nil when every instance counts as up.
    ///   - events: where deliveries and failures are recorded.
    ///   - logger: where problems go.
    public init(repository: String, target: String, workerCount: Int, layout: StateLayout, policy: Policy = Policy(),
                typer: @escaping @Sendable (InstanceName, String) async throws -> Void,
                board: InstanceBoard? = nil,
                events: EventLog?, logger: Logger) {
        self.repositoryPath = repository
        self.target = target
        self.workerCount = workerCount
        self.layout = layout
        self.policy = policy
        self.typer = typer
        self.board = board
        self.events = events
        self.logger = logger
        self.sync = WorkerBranchSync(target: target)
        self.writer = MarkWriter(repository: repository, logger: logger)
        self.record = NoticeRecord(file: layout.run + "/notices.json")
        for worker in 1...max(workerCount, 1) where worker <= workerCount {
            workers[worker] = WorkerState()
        }
    }

    /// Polls until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.poll(now: Date())
                try? await Task.sleep(for: .seconds(self.policy.pollSeconds))
            }
        }
        await settle()
    }

    // MARK: Hook events

    /// A worker's Stop hook: the next task, a reminder, or nothing (idle).
    /// - Parameters:
    ///   - worker: the worker's number.
    public func workerStopped(_ worker: Int) async -> HookReply {
        guard workers[worker] != nil else { return .none }
        workers[worker]!.typed = nil
        workers[worker]!.idle = false
        do {
            var ledger = try readLedger()
            noteChanges(in: ledger)
            let branch = Self.branch(worker)
            if let current = ledger.current(of: worker), current.state == .delivered {
                let count = workers[worker]!.reminders[current.id, default: 0] + 1
                if count <= policy.reminders {
                    workers[worker]!.reminders[current.id] = count
                    record("reminder", instance: .worker(worker), ["task": current.id.description, "count": String(count)])
                    return .block(Self.reminder(current, branch: branch, count: count, of: policy.reminders))
                }
                try fail(current, reason: "worker-\(worker) stopped \(count) times without committing it")
                ledger = try readLedger()
            }
            let synced = syncBranch(worker, ledger: ledger)
            if let next = ledger.current(of: worker) {
                markDelivered(next.id, at: ledger.targetTip)
                workers[worker]!.conflictReminders = 0
                record("delivered", instance: .worker(worker), ["task": next.id.description, "by": "stop-hook"])
                return .block(Self.taskInstruction(next, branch: branch, target: target, sync: synced, resumed: next.state == .delivered))
            }
            if let instruction = Self.syncInstruction(synced, branch: branch, target: target) {
                workers[worker]!.conflictReminders += 1
                if workers[worker]!.conflictReminders <= policy.reminders {
                    record("sync-reminder", instance: .worker(worker), ["outcome": Self.describe(synced), "count": String(workers[worker]!.conflictReminders)])
                    return .block("Before anything else: \(instruction) Then stop.")
                }
            } else {
                workers[worker]!.conflictReminders = 0
            }
            workers[worker]!.idle = true
            let last = ledger.tasks(of: worker).last.map { "after:\($0.id)" } ?? "empty"
            queue(ManagerNotice(key: "idle:worker-\(worker):\(last)",
                                text: "worker-\(worker) is idle: its queue is empty. Give it work with `orch assign --worker \(worker) \"…\"`."))
            record("idle", instance: .worker(worker))
            return .none
        } catch {
            logger.error("task flow for worker-\(worker) at its Stop: \(error)")
            return .none
        }
    }

    /// The manager's Stop hook: the pending notices, or nothing (idle).
    public func managerStopped() async -> HookReply {
        managerTyped = nil
        if let ledger = try? readLedger() { noteChanges(in: ledger) }
        let notices = pending
        guard !notices.isEmpty else {
            managerIdle = true
            record("idle", instance: .manager)
            return .none
        }
        managerIdle = false
        await delivered(notices.map(\.key), how: "stop-hook")
        return .block(Self.noticeText(notices, oneLine: false))
    }

    /// A UserPromptSubmit hook: confirms a typed instruction; the instance is busy.
    /// - Parameters:
    ///   - instance: who submitted.
    ///   - prompt: the prompt's text.
    public func promptSubmitted(_ instance: InstanceName, prompt: String) async {
        switch instance {
        case .manager:
            managerIdle = false
            if let typed = managerTyped, prompt.contains(typed.typed.marker) {
                managerTyped = nil
                await delivered(typed.keys, how: "pane")
            }
        case .worker(let worker):
            guard workers[worker] != nil else { return }
            workers[worker]!.idle = false
            guard let typed = workers[worker]!.typed, prompt.contains(typed.marker) else { return }
            workers[worker]!.typed = nil
            if let task = typed.task {
                if let tip = try? repo().branchTip(target) { markDelivered(task, at: tip) }
                record("delivered", instance: instance, ["task": task.description, "by": "pane", "attempts": String(typed.attempts)])
            }
        }
    }

    /// Queues a notice for the manager (delivered once, like the flow's own).
    /// - Parameters:
    ///   - notice: the notice.
    public func notify(_ notice: ManagerNotice) {
        queue(notice)
    }

    /// An instance stopped outside a Stop hook (an API error) or says it waits for input: it is idle.
    /// - Parameters:
    ///   - instance: the instance.
    public func becameIdle(_ instance: InstanceName) {
        switch instance {
        case .manager: managerIdle = true
        case .worker(let worker): workers[worker]?.idle = true
        }
    }

    // MARK: Polling

    /// One look at the target and the idle instances (``run()`` does this every `pollSeconds`).
    /// - Parameters:
    ///   - now: the time of the look.
    public func poll(now: Date) async {
        let ledger: TaskLedger
        do {
            ledger = try readLedger()
        } catch {
            logger.error("cannot read the task state: \(error)")
            return
        }
        noteChanges(in: ledger)
        lastTip = ledger.targetTip
        await checkAdopted()
        for worker in workers.keys.sorted() where workers[worker]!.idle {
            guard await isRunning(.worker(worker)) else { continue }
            // A hook event may have been handled while this waited: it decides, not the look taken before.
            guard workers[worker]!.idle, let ledger = try? readLedger() else { continue }
            if let typed = workers[worker]!.typed {
                if now.timeIntervalSince(typed.at) >= policy.confirmSeconds {
                    // Heard from since (a hook event): the paste reached a client that is busy; typing it again would queue a copy.
                    if let status = await board?.status(.worker(worker)), status.lastActivity > typed.at, status.lastEvent != .notification {
                        workers[worker]!.typed = nil
                        workers[worker]!.idle = false
                        continue
                    }
                    guard typed.attempts < Self.maximumAttempts else { continue }
                    workers[worker]!.typed!.at = now
                    workers[worker]!.typed!.attempts += 1
                    logger.warning("worker-\(worker) did not confirm its instruction in \(Int(policy.confirmSeconds)) s; typing it again (attempt \(typed.attempts + 1))")
                    await type(typed.text, into: .worker(worker))
                }
                continue
            }
            let branch = Self.branch(worker)
            if let next = ledger.current(of: worker) {
                let synced = syncBranch(worker, ledger: ledger)
                let text = Self.taskInstruction(next, branch: branch, target: target, sync: synced, resumed: next.state == .delivered, oneLine: true)
                workers[worker]!.typed = Typed(marker: "\(BranchMerge.taskTrailer): \(next.id)", text: text, task: next.id, at: now, attempts: 1)
                await type(text, into: .worker(worker))
            } else if workers[worker]!.syncedWith != ledger.targetTip {
                let synced = syncBranch(worker, ledger: ledger)
                if let instruction = Self.syncInstruction(synced, branch: branch, target: target) {
                    let text = "Before anything else: \(instruction) Then stop."
                    workers[worker]!.typed = Typed(marker: "Before anything else: ", text: text, task: nil, at: now, attempts: 1)
                    await type(text, into: .worker(worker))
                }
            }
        }
        if managerIdle, !pending.isEmpty, await isRunning(.manager) {
            if var typed = managerTyped {
                if now.timeIntervalSince(typed.typed.at) >= policy.confirmSeconds, typed.typed.attempts < Self.maximumAttempts {
                    if let status = await board?.status(.manager), status.lastActivity > typed.typed.at, status.lastEvent != .notification {
                        managerTyped = nil
                        managerIdle = false
                        return
                    }
                    typed.typed.at = now
                    typed.typed.attempts += 1
                    managerTyped = typed
                    await type(typed.typed.text, into: .manager)
                }
            } else {
                let notices = pending
                let text = Self.noticeText(notices, oneLine: true)
                managerTyped = (notices.map(\.key), Typed(marker: "[orch] ", text: text, task: nil, at: now, attempts: 1))
                await type(text, into: .manager)
            }
        }
    }

    // MARK: Internals

    func isRunning(_ instance: InstanceName) async -> Bool {
        await board?.isRunning(instance) ?? true
    }

    /// An instance whose session outlived the previous server is idle if the
    /// previous server's last word about it was that it went idle.
    func checkAdopted() async {
        guard !adoptionChecked, let board, await board.isLaunched else { return }
        adoptionChecked = true
        let adopted = await board.adopted
        guard !adopted.isEmpty else { return }
        let last = EventLog.lastEntries(in: layout.logs + "/events.jsonl", among: ["idle", "UserPromptSubmit", "SessionStart", "delivered", "notified"])
        for instance in adopted where last["\(instance)"] == "idle" {
            becameIdle(instance)
        }
    }

    static func branch(_ worker: Int) -> String { "orch/worker-\(worker)" }

    /// How often one instruction is typed into a pane before orch stops trying (the next Stop or idle prompt brings it back).
    static let maximumAttempts = 5

    /// Appends to the event log without holding up the reply (the log keeps the order of calls).
    func record(_ kind: String, instance: InstanceName, _ details: [String: String] = [:]) {
        guard let events else { return }
        let time = Date()
        chain { await events.append(kind, instance: instance, details, time: time) }
    }

    static func describe(_ outcome: WorkerBranchSync.Outcome) -> String {
        switch outcome {
        case .upToDate: "up to date"
        case .updated: "updated"
        case .conflicted(let paths): "conflicted in \(paths.joined(separator: ", "))"
        case .blockedByLocalChanges(let message): "blocked by local changes: \(message)"
        }
    }

    func repo() throws -> Repository {
        if let repository { return repository }
        let opened = try Repository.open(at: repositoryPath)
        repository = opened
        return opened
    }

    func readLedger() throws -> TaskLedger {
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
            let branchTip = try repository.branchTip(Self.branch(worker))
            if let cached = finishedCache[worker], cached.branchTip == branchTip, cached.targetTip == tip {
                done.formUnion(cached.finished)
            } else {
                let finished = try TaskLedger.finished(onBranchOf: worker, targetTip: tip, repository: repository)
                finishedCache[worker] = (branchTip, tip, finished)
                done.formUnion(finished)
            }
        }
        if marks == nil { marks = try TaskLedger.Marks(repository: repository) }
        return TaskLedger(targetTip: tip, board: board, done: done, marks: marks!)
    }

    /// Records a delivery: at once in memory, in git right after the reply goes out.
    ///
    /// A ref write costs most of a millisecond on ext4 and the record only decides
    /// whether a worker's next Stop gets a reminder or the same task afresh, so
    /// it does not hold up the hook. A crash between the two loses only that nuance.
    func markDelivered(_ task: TaskID, at commit: ObjectID) {
        if marks == nil { marks = try? TaskLedger.Marks(repository: repo()) }
        marks?.delivered.insert(task)
        let writer = writer
        chain { await writer.delivered(task, at: commit) }
    }

    /// Waits until the records written after replies are in git.
    public func settle() async {
        await lastWrite?.value
    }

    /// Queues a write behind the earlier ones.
    func chain(_ write: @escaping @Sendable () async -> Void) {
        let previous = lastWrite
        lastWrite = Task {
            await previous?.value
            await write()
        }
    }


    /// Queues the notices the ledger calls for (done and failed tasks) and the resolved conflicts.
    func noteChanges(in ledger: TaskLedger) {
        let merged = Set(ledger.tasks.filter { $0.state == .merged }.map(\.id))
        if let known = mergedSeen {
            OrchMetrics.merges.increment(by: merged.subtracting(known).count)
        }
        mergedSeen = merged
        for task in ledger.tasks {
            switch task.state {
            case .done:
                queue(ManagerNotice(key: "done:\(task.id)", text: "\(task.id) is done on orch/worker-\(task.worker): merge it with `orch merge worker-\(task.worker)`."))
            case .failed:
                queue(ManagerNotice(key: "failed:\(task.id)", text: "\(task.id) (worker-\(task.worker)) failed: the worker stopped \(policy.reminders + 1) times without committing it. Reassign it with `orch assign` if it still matters."))
            case .queued, .delivered, .merged:
                continue
            }
        }
    }

    func queue(_ notice: ManagerNotice) {
        guard !record.contains(notice.key), !pending.contains(where: { $0.key == notice.key }) else { return }
        pending.append(notice)
    }

    func delivered(_ keys: [String], how: String) async {
        do {
            try record.insert(keys)
        } catch {
            logger.error("cannot record delivered notices in \(record.file): \(error)")
        }
        pending.removeAll { keys.contains($0.key) }
        record("notified", instance: .manager, ["notices": keys.joined(separator: " "), "by": how])
    }

    func fail(_ task: TaskLedger.Task, reason: String) throws {
        let tip = try repo().branchTip(Self.branch(task.worker)) ?? repo().branchTip(target)!
        if marks == nil { marks = try TaskLedger.Marks(repository: repo()) }
        marks?.failed.insert(task.id)
        logger.error("\(task.id) failed: \(reason)")
        // Written after the reply, like deliveries; lost in a crash, the task is only failed again after its reminders.
        let (writer, events) = (writer, events)
        chain {
            await writer.failed(task.id, at: tip)
            await events?.append("task-failed", instance: .worker(task.worker), ["task": task.id.description, "reason": reason])
        }
    }

    /// Brings an idle or stopping worker's branch up to date with the target; notes conflicts and their resolution for the manager.
    func syncBranch(_ worker: Int, ledger: TaskLedger) -> WorkerBranchSync.Outcome {
        let branch = Self.branch(worker)
        let outcome: WorkerBranchSync.Outcome
        do {
            // Neither side moved since the branch last held the target: nothing to merge, no history to walk.
            if workers[worker]!.syncedWith == ledger.targetTip, let synced = workers[worker]!.syncedBranchTip,
               try repo().branchTip(branch) == synced {
                return .upToDate
            }
            if worktrees[worker] == nil { worktrees[worker] = try Repository.open(at: layout.worktree(.worker(worker))) }
            outcome = try sync.update(branch: branch, in: worktrees[worker]!)
            switch outcome {
            case .upToDate: workers[worker]!.syncedBranchTip = try repo().branchTip(branch)
            case .updated(let tip):
                workers[worker]!.syncedBranchTip = tip
                // Taking in the target adds no commit of the worker's own: its finished tasks stay as they were.
                if let cached = finishedCache[worker], cached.targetTip == ledger.targetTip {
                    finishedCache[worker] = (tip, ledger.targetTip, cached.finished)
                }
            case .conflicted, .blockedByLocalChanges: workers[worker]!.syncedBranchTip = nil
            }
        } catch {
            logger.error("cannot bring \(branch) up to date with \(target): \(error)")
            return .upToDate
        }
        workers[worker]!.syncedWith = ledger.targetTip
        switch outcome {
        case .conflicted(let paths):
            if workers[worker]!.conflictedAt == nil {
                OrchMetrics.conflicts.increment()
                queue(ManagerNotice(key: "conflict:worker-\(worker):\(ledger.targetTip)",
                                    text: "orch/worker-\(worker) conflicts with \(target) in \(paths.joined(separator: ", ")); orch asked worker-\(worker) to merge \(target) and resolve them. Merge worker-\(worker) once you hear it is resolved."))
            }
            workers[worker]!.conflictedAt = ledger.targetTip
        case .upToDate, .updated:
            if let conflicted = workers[worker]!.conflictedAt {
                workers[worker]!.conflictedAt = nil
                queue(ManagerNotice(key: "resolved:worker-\(worker):\(conflicted)",
                                    text: "worker-\(worker) resolved its conflict with \(target): merge it with `orch merge worker-\(worker)`."))
            }
        case .blockedByLocalChanges:
            break
        }
        return outcome
    }

    func type(_ text: String, into instance: InstanceName) async {
        do {
            try await typer(instance, text)
        } catch {
            logger.warning("cannot type into \(instance)'s pane: \(error)")
        }
    }
}
