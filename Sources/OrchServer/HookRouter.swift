import Foundation
import Logging
import OrchCore
import OrchFlow

/// The server's answer to hook events: it keeps the ``InstanceBoard`` current
/// and remembers each instance's conversation so a restart resumes it.
///
/// ```swift
/// let router = HookRouter(board: board, layout: layout, logger: logger)
/// let receiver = HookReceiver(address: address, tokens: tokens, handler: router, logger: logger)
/// ```
public struct HookRouter: HookHandler {
    let board: InstanceBoard
    let layout: StateLayout
    let logger: Logger
    let flow: TaskFlow?
    let rotator: CredentialRotator?
    let events: EventLog?
    let transcripts: TranscriptUsage?
    /// Usage (a Stop's, a status line's), counted after the reply, one event after another in the order they came.
    private let afterReply = AfterReply()

    /// - Parameters:
    ///   - board: the live view of the instances.
    ///   - layout: the state directory (instance homes).
    ///   - flow: the task flow that answers Stop hooks; nil records events only.
    ///   - logger: where problems go.
    ///   - rotator: moves rate-limited instances to another credential file; nil ignores limits.
    ///   - events: where each finished task's tokens and cost are recorded (`task-usage`); nil records none.
    ///   - transcripts: reads each response's tokens from the transcripts; nil counts none.
    public init(board: InstanceBoard, layout: StateLayout, flow: TaskFlow? = nil, rotator: CredentialRotator? = nil, events: EventLog? = nil,
                transcripts: TranscriptUsage? = nil, logger: Logger) {
        self.board = board
        self.events = events
        self.transcripts = transcripts
        self.flow = flow
        self.rotator = rotator
        self.layout = layout
        self.logger = logger
    }

    /// Records the event and lets the task flow answer it: a Stop may get the
    /// next task (or the manager's notices) as a `block`; everything else goes on as Claude wants.
    /// - Parameters:
    ///   - event: the event.
    public func handle(_ event: HookEvent) async -> HookReply {
        if event.name == .statusLine {
            // In line with the Stops' usage, so a task is closed on what came before its Stop and nothing after.
            await afterReply.enqueue { await noteUsage(event) }
            return .none
        }
        await board.record(event)
        // After a turn the client may have refreshed an OAuth login in its home: keep it, off the hook's path.
        if let rotator, [.stop, .stopFailure, .sessionEnd].contains(event.name) {
            let instance = event.instance
            Task { await rotator.checkCredentials(of: instance) }
        }
        switch event.name {
        case .sessionStart:
            if let session = event.sessionID {
                do {
                    try InstanceHome(instance: event.instance, layout: layout).recordSession(session)
                } catch {
                    logger.warning("cannot record the session of \(event.instance): \(error)")
                }
            }
        case .stop:
            guard let flow else {
                await afterReply.enqueue { await noteTurn(event, flow: nil) }
                break
            }
            // Its file is near its limit: it moves now, between tasks, rather than hit the wall in the middle of one.
            if let rotator, await rotator.wantsMoveBeforeLimit(event.instance), await flow.isBetweenTasks(event.instance) {
                let instance = event.instance
                await afterReply.enqueue { await noteTurn(event, flow: flow) }
                // Idle once it is on its new file (or the move failed), not before: nothing is typed into a session about to end.
                Task {
                    await rotator.moveBeforeLimit(instance)
                    await flow.becameIdle(instance)
                }
                return .none
            }
            let reply: HookReply
            switch event.instance {
            case .manager: reply = await flow.managerStopped(continuing: event.stopHookActive)
            case .worker(let worker): reply = await flow.workerStopped(worker)
            }
            // The reply does not wait for the transcript read and the task's usage.
            await afterReply.enqueue { await noteTurn(event, flow: flow) }
            // A blocked stop is not an end: the instance goes on with the reply's instruction.
            if reply != .none { await board.update(event.instance) { $0.working = true } }
            return reply
        case .userPromptSubmit:
            await flow?.promptSubmitted(event.instance, prompt: event.string("prompt") ?? "")
        case .notification:
            // Claude says it has waited for input a while: a stop orch did not see (it was down) left it idle.
            if event.string("notification_type") == "idle_prompt" { await flow?.becameIdle(event.instance) }
        case .stopFailure:
            // The rotation stops the container this hook runs in: it goes on after the reply.
            if event.error == "rate_limit", let rotator {
                let (instance, message, transcript, received) = (event.instance, event.string("last_assistant_message"), event.transcriptPath, event.received)
                Task { await rotator.rateLimited(instance, message: message, transcriptPath: transcript, signalled: received) }
            }
        case .sessionEnd, .statusLine:
            break
        }
        return .none
    }

    /// A status-line report: the cost and windows it gives, and the tokens of the responses its transcript holds
    /// since the last read, for the instance and its credential file, in the status and the metrics.
    private func noteUsage(_ event: HookEvent) async {
        guard var increase = await board.recordUsage(event.instance, StatusLineReport(event)) else { return }
        increase.add(await readTokens(event))
        await note(increase, of: event.instance, received: event.received)
    }

    private func readTokens(_ event: HookEvent) async -> InstanceUsage {
        guard let transcripts else { return InstanceUsage() }
        let tokens = await transcripts.read(event.instance, path: event.transcriptPath)
        await board.addTokens(tokens, of: event.instance)
        return tokens
    }

    private func note(_ increase: InstanceUsage, of instance: InstanceName, received: Date = Date()) async {
        guard increase != InstanceUsage() else { return }
        OrchMetrics.recordUsage(increase, of: instance)
        await rotator?.noteUsage(increase, of: instance, received: received)
    }

    /// Waits until the usage of every Stop handled so far is counted.
    public func settle() async {
        await afterReply.settle()
    }

    /// A Stop's usage: the turn's responses, now in its transcript, counted first, then (a worker's) the task they
    /// belong to closed when this Stop moved it on to another.
    private func noteTurn(_ event: HookEvent, flow: TaskFlow?) async {
        await note(await readTokens(event), of: event.instance)
        if let flow, case .worker(let worker) = event.instance { await noteTask(of: worker, flow: flow) }
    }

    /// When a worker's current task changed at this Stop, what the one before cost goes to the event log: the tokens
    /// and cost its sessions added between its hand-over and now (the status line lags a message behind at most).
    private func noteTask(of worker: Int, flow: TaskFlow) async {
        let instance = InstanceName.worker(worker)
        let current = await flow.currentTask(of: worker)
        guard let (finished, spent) = await board.startTask(current, of: instance), let finished else { return }
        await events?.append(.taskUsage, instance: instance, [
            "task": finished, "inputTokens": String(spent.inputTokens), "outputTokens": String(spent.outputTokens),
            "cacheReadTokens": String(spent.cacheReadTokens), "cacheCreationTokens": String(spent.cacheCreationTokens),
            "costUSD": String(format: "%.4f", spent.costUSD),
        ])
    }
}

/// Work that follows hook replies, one piece at a time in the order it was handed in.
actor AfterReply {
    private var last: Task<Void, Never>?

    func enqueue(_ work: @escaping @Sendable () async -> Void) {
        let previous = last
        last = Task {
            await previous?.value
            await work()
        }
    }

    func settle() async {
        await last?.value
    }
}
