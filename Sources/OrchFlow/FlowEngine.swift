import Foundation
import Logging
import OrchCore

/// The task flow's state and decisions, used only by ``TaskFlow``, whose
/// executor is a ``BlockingQueue``: every hook event and every poll is one
/// synchronous decision there, so each sees the state the one before left,
/// and the git reads and merges it needs run off the cooperative pool. The log
/// entries and marks a decision calls for are chained, in decision order, to
/// be written after the reply; what to type into panes goes back to the flow.
final class FlowEngine: @unchecked Sendable {
    let workspace: TaskWorkspace
    let layout: StateLayout
    let policy: TaskFlow.Policy
    let recorder: LedgerRecorder
    let events: EventLog?
    let logger: Logger
    private var dispatcher: WorkerDispatcher
    private var inbox: ManagerInbox
    private var adoptionChecked = false
    /// The merged tasks seen last (the first look only sets it: merges before this server are not counted).
    private var mergedSeen: Set<TaskID>?
    /// The last of the writes made after replies; each waits for the one before, so they land in order.
    private(set) var lastWrite: Task<Void, Never>?

    init(configuration: TaskFlow.Configuration, events: EventLog?, logger: Logger) {
        workspace = TaskWorkspace(target: configuration.target, layout: configuration.layout)
        layout = configuration.layout
        policy = configuration.policy
        recorder = LedgerRecorder(repository: configuration.layout.clone, logger: logger)
        self.events = events
        self.logger = logger
        dispatcher = WorkerDispatcher(workerCount: configuration.workerCount, target: configuration.target,
                                      takeFirst: configuration.hooks == .http, policy: configuration.policy,
                                      workspace: workspace, logger: logger)
        inbox = ManagerInbox(record: NoticeRecord(file: configuration.layout.notices), confirmSeconds: configuration.policy.confirmSeconds, logger: logger)
    }

    func workerStopped(_ worker: Int) -> FlowStep {
        var step = FlowStep()
        guard dispatcher.numbers.contains(worker) else { return step }
        do {
            let ledger = try workspace.ledger()
            noteChanges(in: ledger)
            try dispatcher.stopped(worker, ledger: ledger, inbox: &inbox, &step)
        } catch {
            logger.error("task flow for \(InstanceName.worker(worker)) at its Stop: \(error)")
            step.reply = .none
        }
        return finish(step)
    }

    func managerStopped(continuing: Bool) -> FlowStep {
        var step = FlowStep()
        if let ledger = try? workspace.ledger() { noteChanges(in: ledger) }
        inbox.stopped(continuing: continuing, &step)
        return finish(step)
    }

    func promptSubmitted(_ instance: InstanceName, prompt: String) -> FlowStep {
        var step = FlowStep()
        switch instance {
        case .manager: inbox.promptSubmitted(prompt, &step)
        case .worker(let worker): dispatcher.promptSubmitted(worker, prompt: prompt, &step)
        }
        return finish(step)
    }

    func notify(_ notice: ManagerNotice) { inbox.queue(notice) }

    func becameIdle(_ instance: InstanceName) {
        switch instance {
        case .manager: inbox.becameIdle()
        case .worker(let worker): dispatcher.becameIdle(worker)
        }
    }

    /// One look at the target and the idle instances.
    func poll(now: Date, sighting: InstanceSighting) -> FlowStep {
        var step = FlowStep()
        let ledger: TaskLedger
        do {
            ledger = try workspace.ledger()
        } catch {
            logger.error("cannot read the task state: \(error)")
            return step
        }
        noteChanges(in: ledger)
        checkAdopted(sighting)
        for worker in dispatcher.numbers where dispatcher.isIdle(worker) {
            dispatcher.poll(worker, ledger: ledger, now: now, sighting: sighting, inbox: &inbox, &step)
        }
        inbox.poll(now: now, sighting: sighting, &step)
        return finish(step)
    }

    /// An instance whose session outlived the previous server is idle if the
    /// previous server's last word about it was that it went idle.
    private func checkAdopted(_ sighting: InstanceSighting) {
        guard !adoptionChecked, sighting.launched else { return }
        adoptionChecked = true
        guard !sighting.adopted.isEmpty else { return }
        let last = EventLog.lastEntries(in: layout.events, among: [.idle, .hook(.userPromptSubmit), .hook(.sessionStart), .delivered, .notified])
        for instance in sighting.adopted where last[instance] == .idle {
            becameIdle(instance)
        }
    }

    /// Queues the notices the ledger calls for (done and failed tasks), and counts merges.
    private func noteChanges(in ledger: TaskLedger) {
        let merged = Set(ledger.tasks.filter { $0.state == .merged }.map(\.id))
        if let known = mergedSeen {
            FlowMetrics.merges.increment(by: merged.subtracting(known).count)
        }
        mergedSeen = merged
        for task in ledger.tasks {
            switch task.state {
            case .done: inbox.queue(ManagerNotice(.done(task.id), text: Instructions.done(task)))
            case .failed: inbox.queue(ManagerNotice(.failed(task.id), text: Instructions.failed(task, stops: policy.reminders + 1)))
            case .queued, .delivered, .merged: continue
            }
        }
        for failure in (try? workspace.checkFailures()) ?? [] {
            inbox.queue(ManagerNotice(.checkFailed(branch: failure.branch, tip: failure.tip), text: Instructions.checkFailed(failure, target: workspace.target)))
        }
    }

    /// Chains the step's writes behind the earlier ones and leaves it only what to type.
    ///
    /// A ref write costs most of a millisecond on ext4 and a mark only decides whether
    /// a worker's next Stop gets a reminder or the same task afresh, so it does not
    /// hold up the hook; a crash between the reply and the write loses only that nuance.
    private func finish(_ step: FlowStep) -> FlowStep {
        var rest = step
        rest.effects = []
        let (recorder, events) = (recorder, events)
        for effect in step.effects {
            switch effect {
            case .record(let kind, let instance, let details, let time):
                guard let events else { continue }
                chain { await events.append(kind, instance: instance, details, time: time) }
            case .markDelivered(let task, let tip):
                chain { await recorder.delivered(task, at: tip) }
            case .markFailed(let task, let tip, let worker, let reason):
                chain {
                    await recorder.failed(task, at: tip)
                    await events?.append(.taskFailed, instance: .worker(worker), ["task": task.description, "reason": reason])
                }
            case .markCheckFixed(let branch, let failedAt, let fixedAt):
                chain { await recorder.checkFixed(branch: branch, failedAt: failedAt, fixedAt: fixedAt) }
            case .type:
                rest.effects.append(effect)
            }
        }
        return rest
    }

    private func chain(_ write: @escaping @Sendable () async -> Void) {
        let previous = lastWrite
        lastWrite = Task {
            await previous?.value
            await write()
        }
    }
}
