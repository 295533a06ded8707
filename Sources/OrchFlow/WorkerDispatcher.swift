import Foundation
import Logging
import OrchCore

/// Keeps every worker busy: a worker's Stop with its task done gets the next
/// queued task as the hook's `block` reason, after its branch took in the
/// target while it is quiescent (a conflict becomes part of the instruction);
/// with the task not done it gets a reminder, up to `reminders` times, then the
/// task fails. With nothing queued the stop is allowed and the worker is idle,
/// and an idle worker gets a task assigned later typed into its pane.
struct WorkerDispatcher {
    /// What the dispatcher knows of one worker between hook events.
    struct WorkerState {
        /// It stopped and nothing was handed to it since.
        var idle = false
        /// Reminders given per task.
        var reminders: [TaskID: Int] = [:]
        /// An instruction typed into its pane, until confirmed.
        var delivery: PaneDelivery
        /// The target tip its branch conflicted with when last brought up to date.
        var conflictedAt: CommitID?
        /// Stops in a row with its branch still conflicting with the target.
        var conflictReminders = 0
        /// The failed merge check (its tip) handed to it, until its turn on it ends.
        var checkDelivered: String?
        /// Failed merge checks (their tips) it has had its turn on, before the record says so.
        var checkFixed: Set<String> = []
    }

    let target: String
    /// Instructions tell the worker to take its branch itself (its hooks run no orch).
    let takeFirst: Bool
    let policy: TaskFlow.Policy
    let workspace: TaskWorkspace
    let logger: Logger
    private var workers: [Int: WorkerState] = [:]

    init(workerCount: Int, target: String, takeFirst: Bool = false, policy: TaskFlow.Policy, workspace: TaskWorkspace, logger: Logger) {
        self.target = target
        self.takeFirst = takeFirst
        self.policy = policy
        self.workspace = workspace
        self.logger = logger
        for worker in 1...max(workerCount, 1) where worker <= workerCount {
            workers[worker] = WorkerState(delivery: PaneDelivery(confirmSeconds: policy.confirmSeconds))
        }
    }

    /// Every worker's number, in order.
    var numbers: [Int] { workers.keys.sorted() }

    func isIdle(_ worker: Int) -> Bool { workers[worker]?.idle ?? false }

    mutating func becameIdle(_ worker: Int) { workers[worker]?.idle = true }

    /// A worker's Stop hook, with the ledger as it stands: the next task, a reminder, or nothing (idle).
    mutating func stopped(_ worker: Int, ledger read: TaskLedger, inbox: inout ManagerInbox, _ step: inout FlowStep) throws {
        guard var state = workers[worker] else { return }
        defer { workers[worker] = state }
        state.delivery.forget()
        state.idle = false
        var ledger = read
        let name = InstanceName.worker(worker)
        closeCheckFailure(worker, &state, inbox: &inbox, &step)
        if let current = ledger.current(of: worker), current.state == .delivered {
            let count = state.reminders[current.id, default: 0] + 1
            if count <= policy.reminders {
                state.reminders[current.id] = count
                step.record(.reminder, name, ["task": current.id.description, "count": String(count)])
                step.reply = .block(Instructions.reminder(current, branch: name.branch, count: count, of: policy.reminders))
                return
            }
            try fail(current, reason: "\(name) stopped \(count) times without committing it", &step)
            ledger = try workspace.ledger()
        }
        let synced = syncBranch(worker, &state, ledger: ledger, inbox: &inbox)
        let failure = dueCheckFailure(worker, state)
        if let failure { handOver(failure, to: worker, &state, &step, by: "stop-hook") }
        if let next = ledger.current(of: worker) {
            deliver(next.id, at: ledger.targetTip, &step)
            state.conflictReminders = 0
            step.record(.delivered, name, ["task": next.id.description, "by": "stop-hook"])
            step.reply = .block(Instructions.taskInstruction(next, branch: name.branch, target: target, sync: synced, resumed: next.state == .delivered,
                                                                  takeFirst: takeFirst, checkFailure: failure))
            return
        }
        if let failure {
            step.reply = .block(Instructions.syncFirst(Instructions.fix(failure, target: target), branch: name.branch, target: target, takeFirst: takeFirst))
            return
        }
        if let instruction = Instructions.syncInstruction(synced, branch: name.branch, target: target) {
            state.conflictReminders += 1
            if state.conflictReminders <= policy.reminders {
                step.record(.syncReminder, name, ["outcome": Instructions.describe(synced), "count": String(state.conflictReminders)])
                step.reply = .block(Instructions.syncFirst(instruction, branch: name.branch, target: target, takeFirst: takeFirst))
                return
            }
        } else {
            state.conflictReminders = 0
        }
        state.idle = true
        inbox.queue(ManagerNotice(.idle(worker: worker, after: ledger.tasks(of: worker).last?.id), text: Instructions.idle(worker)))
        step.record(.idle, name)
    }

    /// A prompt the worker submitted: it is busy, and a typed task it confirms is delivered.
    mutating func promptSubmitted(_ worker: Int, prompt: String, _ step: inout FlowStep) {
        guard var state = workers[worker] else { return }
        defer { workers[worker] = state }
        state.idle = false
        guard let typed = state.delivery.confirm(by: prompt), let task = typed.task else { return }
        if let tip = try? workspace.tip(of: target) { deliver(task, at: tip, &step) }
        step.record(.delivered, .worker(worker), ["task": task.description, "by": "pane", "attempts": String(typed.attempts)])
    }

    /// An idle worker that is up: types its next task (or the merge it must do first), or types an unconfirmed one again.
    mutating func poll(_ worker: Int, ledger: TaskLedger, now: Date, sighting: InstanceSighting, inbox: inout ManagerInbox, _ step: inout FlowStep) {
        let name = InstanceName.worker(worker)
        guard var state = workers[worker], state.idle, sighting.isRunning(name) else { return }
        defer { workers[worker] = state }
        if state.delivery.typed != nil {
            switch state.delivery.retry(now: now, heard: sighting.heard[name]) {
            case .wait: break
            case .heardFrom: state.idle = false
            case .typeAgain(let typed):
                logger.warning("\(name) did not confirm its instruction in \(Int(policy.confirmSeconds)) s; typing it again (attempt \(typed.attempts))")
                step.effects.append(.type(typed.text, into: name))
            }
            return
        }
        let failure = dueCheckFailure(worker, state)
        if let failure { handOver(failure, to: worker, &state, &step, by: "pane") }
        if let next = ledger.current(of: worker) {
            let synced = syncBranch(worker, &state, ledger: ledger, inbox: &inbox)
            let text = Instructions.taskInstruction(next, branch: name.branch, target: target, sync: synced, resumed: next.state == .delivered,
                                                   oneLine: true, takeFirst: takeFirst, checkFailure: failure)
            step.effects.append(.type(state.delivery.start(text, marker: next.id.trailer, task: next.id, now: now), into: name))
        } else if let failure {
            let text = Instructions.syncFirst(Instructions.fix(failure, target: target, oneLine: true), branch: name.branch, target: target, takeFirst: takeFirst)
            step.effects.append(.type(state.delivery.start(text, marker: Instructions.syncMarker, now: now), into: name))
        } else if workspace.lastSync(of: worker) != ledger.targetTip {
            let synced = syncBranch(worker, &state, ledger: ledger, inbox: &inbox)
            if let instruction = Instructions.syncInstruction(synced, branch: name.branch, target: target) {
                let text = state.delivery.start(Instructions.syncFirst(instruction, branch: name.branch, target: target, takeFirst: takeFirst),
                                                marker: Instructions.syncMarker, now: now)
                step.effects.append(.type(text, into: name))
            }
        }
    }

    /// The failed merge check of the worker's branch that it has not been handed yet.
    private func dueCheckFailure(_ worker: Int, _ state: WorkerState) -> CheckFailure? {
        let branch = InstanceName.worker(worker).branch
        guard let failure = ((try? workspace.checkFailures()) ?? []).first(where: { $0.branch == branch }), failure.isOpen,
              !state.checkFixed.contains(failure.tip), state.checkDelivered != failure.tip else { return nil }
        return failure
    }

    private func handOver(_ failure: CheckFailure, to worker: Int, _ state: inout WorkerState, _ step: inout FlowStep, by: String) {
        state.checkDelivered = failure.tip
        step.record(.checkFailureDelivered, .worker(worker), ["tip": failure.tip, "by": by])
    }

    /// The worker's turn on a failed merge check it was handed ended: recorded, and the manager told to merge it again.
    private func closeCheckFailure(_ worker: Int, _ state: inout WorkerState, inbox: inout ManagerInbox, _ step: inout FlowStep) {
        guard let failed = state.checkDelivered else { return }
        state.checkDelivered = nil
        state.checkFixed.insert(failed)
        let branch = InstanceName.worker(worker).branch
        let now = ((try? workspace.tip(of: branch)) ?? nil)?.hex ?? failed
        step.effects.append(.markCheckFixed(branch: branch, failedAt: failed, fixedAt: now))
        inbox.queue(ManagerNotice(.checkFixed(branch: branch, tip: failed), text: Instructions.checkFixed(worker)))
    }

    private func deliver(_ task: TaskID, at tip: CommitID, _ step: inout FlowStep) {
        workspace.noteDelivered(task)
        step.effects.append(.markDelivered(task, at: tip))
    }

    private func fail(_ task: TaskLedger.Task, reason: String, _ step: inout FlowStep) throws {
        let tip = try workspace.tip(of: InstanceName.worker(task.worker).branch) ?? workspace.tip(of: target)!
        workspace.noteFailed(task.id)
        logger.error("\(task.id) failed: \(reason)")
        step.effects.append(.markFailed(task.id, at: tip, worker: task.worker, reason: reason))
    }

    /// Brings an idle or stopping worker's branch up to date with the target; tells the manager of conflicts and their resolution.
    private func syncBranch(_ worker: Int, _ state: inout WorkerState, ledger: TaskLedger, inbox: inout ManagerInbox) -> WorkerBranchSync.Outcome {
        let outcome: WorkerBranchSync.Outcome
        do {
            outcome = try workspace.updateBranch(of: worker, toTarget: ledger.targetTip)
        } catch {
            logger.error("cannot bring \(InstanceName.worker(worker).branch) up to date with \(target): \(error)")
            return .upToDate
        }
        switch outcome {
        case .conflicted(let paths):
            if state.conflictedAt == nil {
                FlowMetrics.conflicts.increment()
                inbox.queue(ManagerNotice(.conflict(worker: worker, targetTip: ledger.targetTip.description), text: Instructions.conflict(worker, target: target, paths: paths)))
            }
            state.conflictedAt = ledger.targetTip
        case .upToDate, .updated:
            if let conflicted = state.conflictedAt {
                state.conflictedAt = nil
                inbox.queue(ManagerNotice(.resolved(worker: worker, conflictedAt: conflicted.description), text: Instructions.resolved(worker, target: target)))
            }
        case .blockedByLocalChanges:
            break
        }
        return outcome
    }
}
