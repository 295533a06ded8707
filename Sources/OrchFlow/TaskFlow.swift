import Foundation
import Logging
import OrchCore
import ServiceLifecycle

/// Keeps every worker busy and the manager informed, from hook events and the
/// target branch, with git refs as the only state that matters (see ``TaskLedger``).
///
/// - A worker's Stop gets its next task, a reminder, or nothing (``WorkerDispatcher``).
/// - Every `pollSeconds` it looks at the target: a task assigned to an idle
///   worker is typed into its pane and counts as delivered once its
///   UserPromptSubmit hook echoes it (``PaneDelivery``); an idle worker's branch
///   takes in a moved target, and a conflict is typed to it.
/// - Notices for the manager are queued and delivered through its Stop hook,
///   or typed into its pane when it is idle, each exactly once (``ManagerInbox``).
///
/// The actor runs on a ``BlockingQueue`` of its own, off the cooperative pool:
/// its decisions (``FlowEngine``) read and merge in git, and each is made
/// whole between two `await`s, so it sees the state the one before left.
///
/// ```swift
/// let flow = TaskFlow(configuration: .init(target: "main", workerCount: 3, layout: layout),
///                     typer: { instance, text in try await supervisor.type(text, into: instance) }, watch: board, events: events, logger: logger)
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

    /// What the flow works on.
    public struct Configuration: Sendable {
        /// The target branch.
        public var target: String
        /// The number of workers.
        public var workerCount: Int
        /// The state directory (the clone, the worktrees, the notice record).
        public var layout: StateLayout
        /// Reminders and timings.
        public var policy: Policy
        /// How the instances' hook events travel: with `.http` no orch runs in a hook, so a worker's
        /// instructions tell it to take its branch (`orch checkout`) before it starts.
        public var hooks: ChannelSettings.HookTransport

        public init(target: String, workerCount: Int, layout: StateLayout, policy: Policy = Policy(), hooks: ChannelSettings.HookTransport = .command) {
            self.target = target
            self.workerCount = workerCount
            self.layout = layout
            self.policy = policy
            self.hooks = hooks
        }
    }

    let configuration: Configuration
    let typer: @Sendable (InstanceName, String) async throws -> Void
    let watch: (any InstanceWatch)?
    let logger: Logger
    private let engine: FlowEngine
    private let queue = BlockingQueue(label: "orch.task-flow")

    public nonisolated var unownedExecutor: UnownedSerialExecutor { queue.asUnownedSerialExecutor() }

    /// - Parameters:
    ///   - typer: types a line into an instance's pane and presses Enter.
    ///   - watch: the instances' health (nothing is typed into one that is down) and which were adopted;
    ///     nil when every instance counts as up.
    ///   - events: where deliveries and failures are recorded.
    public init(configuration: Configuration, typer: @escaping @Sendable (InstanceName, String) async throws -> Void,
                watch: (any InstanceWatch)? = nil, events: EventLog?, logger: Logger) {
        self.configuration = configuration
        self.typer = typer
        self.watch = watch
        self.logger = logger
        self.engine = FlowEngine(configuration: configuration, events: events, logger: logger)
    }

    /// Polls until graceful shutdown, then waits for the last writes.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.poll(now: Date())
                try? await Task.sleep(for: .seconds(self.configuration.policy.pollSeconds))
            }
        }
        await settle()
    }

    /// A worker's Stop hook: the next task, a reminder, or nothing (idle).
    public func workerStopped(_ worker: Int) async -> HookReply {
        engine.workerStopped(worker).reply
    }

    /// The manager's Stop hook: the pending notices, or nothing (idle).
    /// - Parameters:
    ///   - continuing: the hook's `stop_hook_active` (it went on with the last reply, which confirms its notices).
    public func managerStopped(continuing: Bool = true) async -> HookReply {
        engine.managerStopped(continuing: continuing).reply
    }

    /// A UserPromptSubmit hook: confirms a typed instruction; the instance is busy.
    public func promptSubmitted(_ instance: InstanceName, prompt: String) async {
        _ = engine.promptSubmitted(instance, prompt: prompt)
    }

    /// Queues a notice for the manager (delivered once, like the flow's own).
    public func notify(_ notice: ManagerNotice) async {
        engine.notify(notice)
    }

    /// An instance stopped outside a Stop hook (an API error) or says it waits for input: it is idle.
    public func becameIdle(_ instance: InstanceName) async {
        engine.becameIdle(instance)
    }

    /// The worker's current task (the first of its list neither done, merged nor failed), if any.
    public func currentTask(of worker: Int) async -> String? {
        (try? engine.workspace.ledger())?.current(of: worker)?.id.description
    }

    /// Whether the instance is between tasks: the manager always; a worker when no task handed to it is still undone.
    public func isBetweenTasks(_ instance: InstanceName) async -> Bool {
        guard case .worker(let worker) = instance else { return true }
        guard let ledger = try? engine.workspace.ledger() else { return false }
        return ledger.current(of: worker).map { $0.state != .delivered } ?? true
    }

    /// One look at the target and the idle instances (``run()`` does this every `pollSeconds`).
    public func poll(now: Date) async {
        let sighting = await watch?.sighting() ?? .everyoneUp
        let step = engine.poll(now: now, sighting: sighting)
        for case .type(let text, let instance) in step.effects {
            do {
                try await typer(instance, text)
            } catch {
                logger.warning("cannot type into \(instance)'s pane: \(error)")
            }
        }
    }

    /// Waits until the records written after replies are in git and the log.
    public func settle() async {
        await engine.lastWrite?.value
    }
}
