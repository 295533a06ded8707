import Foundation
import Logging
import OrchCore
import OrchRuntime
import ServiceLifecycle

/// Starts the instances, keeps them alive, and stops them on shutdown.
///
/// Every `checkSeconds` it looks at each instance's tmux pane: a session that
/// vanished, or a pane whose container exited (Claude runs under docker-init,
/// so Claude dying ends the container with its status), is a failure; so is a
/// working instance with no hook event and no transcript write for
/// `silenceSeconds`. A failed instance is stopped and started again after an
/// exponential backoff, resuming its conversation (`--resume` with the session
/// id from its last SessionStart). More than `maxRestarts` failures inside
/// `windowSeconds` mark it failed, and it stays stopped.
///
/// ```swift
/// let supervisor = InstanceSupervisor(launch: { try await Fleet.launch(…) }, board: board, policy: config.health,
///                                     layout: layout, events: events, logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [receiverApp, supervisor], logger: logger))
/// ```
public actor InstanceSupervisor: Service {
    private let launch: @Sendable () async throws -> any InstanceProcesses
    private let board: InstanceBoard
    private let policy: HealthPolicy
    private let layout: StateLayout?
    private let events: EventLog?
    private let logger: Logger
    private var processes: (any InstanceProcesses)?

    /// - Parameters:
    ///   - launch: starts the instances (called once, when the service runs).
    ///   - board: the live view the checks read and update.
    ///   - policy: when to restart and when to give up.
    ///   - layout: the state directory (homes and transcripts); nil when the instances have none.
    ///   - events: where restarts and failures are recorded.
    ///   - logger: where they are logged.
    public init(launch: @escaping @Sendable () async throws -> any InstanceProcesses, board: InstanceBoard, policy: HealthPolicy,
                layout: StateLayout?, events: EventLog?, logger: Logger) {
        self.launch = launch
        self.board = board
        self.policy = policy
        self.layout = layout
        self.events = events
        self.logger = logger
    }

    /// Launches the instances, checks them until graceful shutdown, then stops them all.
    /// - Throws: what launching throws.
    public func run() async throws {
        let started = ContinuousClock.now
        let processes = try await launchInstances()
        let board = self.board
        let logger = self.logger
        let count = processes.instances.count
        let announcement = Task {
            await board.waitUntilAllStarted()
            let seconds = (ContinuousClock.now - started).inSeconds
            logger.info("all \(count) instances started in \(String(format: "%.1f", seconds)) s")
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.check(now: Date())
                try? await Task.sleep(for: .seconds(self.policy.checkSeconds))
            }
        }
        announcement.cancel()
        await processes.stop()
    }

    /// Launches the instances (``run()`` does this first).
    /// - Throws: what launching throws.
    @discardableResult
    public func launchInstances() async throws -> any InstanceProcesses {
        let processes = try await launch()
        self.processes = processes
        for instance in processes.adopted {
            await board.update(instance) { $0.health = .running }
            logger.info("kept \(instance): its session outlived the previous server")
        }
        await board.markLaunched(adopted: processes.adopted)
        return processes
    }

    /// Runs one round of checks (the service does this every `checkSeconds`).
    /// - Parameters:
    ///   - now: the time of the round.
    public func check(now: Date) async {
        guard let processes else { return }
        var panes: [String: Tmux.Pane]
        do {
            panes = try await processes.panes()
            // tmux can mark a pane dead (its pty closed) a moment before it has reaped the exit status.
            // Under load that moment can stretch: look again, up to a second.
            for _ in 0..<5 where panes.values.contains(where: { $0.dead && $0.exitStatus == nil }) {
                try await Task.sleep(for: .milliseconds(200))
                panes = try await processes.panes()
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("cannot list the tmux panes: \(error)")
            return
        }
        for instance in processes.instances {
            guard let status = await board.status(instance) else { continue }
            switch status.health {
            case .failed, .paused:
                continue
            case .waitingToRestart(let reason, let at):
                if now >= at { await restart(instance, after: reason, now: now) }
                continue
            case .starting, .running:
                if let problem = problem(of: instance, status: status, pane: panes["\(instance)"], now: now) {
                    await fail(instance, problem, now: now)
                }
            }
        }
    }

    private func problem(of instance: InstanceName, status: InstanceStatus, pane: Tmux.Pane?, now: Date) -> String? {
        guard let pane else { return "its tmux session vanished" }
        if pane.dead {
            let code = pane.exitStatus.map(String.init) ?? "unknown"
            return "its container exited with status \(code)\(pane.exitStatus == 137 ? " (killed)" : "")"
        }
        let waitingForStart: Bool
        if case .starting = status.health { waitingForStart = true } else { waitingForStart = false }
        guard status.working || waitingForStart else { return nil }
        var activity = status.lastActivity
        if let layout, let written = InstanceHome(instance: instance, layout: layout).lastTranscriptWrite(), written > activity {
            activity = written
        }
        let silent = now.timeIntervalSince(activity)
        guard silent > policy.silenceSeconds else { return nil }
        return waitingForStart
            ? "no SessionStart \(Int(silent)) s after its start"
            : "silent for \(Int(silent)) s while working (no hook event, no transcript write)"
    }

    private func fail(_ instance: InstanceName, _ reason: String, now: Date) async {
        await processes?.stop(instance)
        guard let status = await board.status(instance) else { return }
        let failures = status.recentFailures.filter { now.timeIntervalSince($0) < policy.windowSeconds } + [now]
        if failures.count > policy.maxRestarts {
            let verdict = "\(failures.count) failures in \(Int(policy.windowSeconds)) s; the last: \(reason)"
            await board.update(instance) {
                $0.health = .failed(reason: verdict)
                $0.recentFailures = failures
                $0.lastFailure = reason
                $0.working = false
            }
            logger.error("\(instance) failed and stays stopped: \(verdict)")
            await events?.append(.failed, instance: instance, ["reason": verdict])
            return
        }
        let delay = policy.backoff(afterFailures: failures.count)
        await board.update(instance) {
            $0.health = .waitingToRestart(reason: reason, at: now.addingTimeInterval(delay))
            $0.recentFailures = failures
            $0.lastFailure = reason
            $0.working = false
        }
        logger.warning("\(instance): \(reason); restarting in \(delay.formatted()) s (restart \(failures.count) of at most \(policy.maxRestarts) in \(Int(policy.windowSeconds)) s)")
        await events?.append(.restartScheduled, instance: instance, ["reason": reason, "delaySeconds": String(delay), "failures": String(failures.count)])
    }

    private func restart(_ instance: InstanceName, after reason: String, now: Date) async {
        guard let processes, let status = await board.status(instance) else { return }
        var session = status.sessionID
        if let layout {
            let home = InstanceHome(instance: instance, layout: layout)
            session = session ?? home.lastSessionID()
            // A resumed start that died within seconds would die the same way again (a session the client cannot
            // resume, such as one cut off by a limit before any reply): start afresh; the flow hands its task over again.
            if let resumed = status.resumedSession, resumed == session, let died = status.recentFailures.last,
               died.timeIntervalSince(status.startedAt) < 15 {
                logger.warning("\(instance) could not resume session \(resumed); starting a fresh one")
                session = nil
            }
            do {
                try home.prepareStart(resuming: session, prompt: Self.resumePrompt(reason: reason))
            } catch {
                logger.error("cannot prepare the restart of \(instance): \(error)")
            }
        }
        do {
            try await processes.start(instance)
        } catch {
            await board.update(instance) { $0.health = .running }
            await fail(instance, "its restart failed: \(error)", now: now)
            return
        }
        await board.update(instance) {
            $0.health = .starting
            $0.startedAt = now
            $0.lastActivity = now
            $0.working = false
            $0.restarts += 1
            $0.resumedSession = session
            OrchMetrics.restarts.increment()
        }
        logger.notice("\(instance) restarted (\(reason)); \(session.map { "resuming session \($0)" } ?? "no session to resume: fresh start")")
        await events?.append(.restart, instance: instance, ["reason": reason, "session_id": session ?? ""])
    }

    /// Stops an instance, runs `prepare` while it is stopped (its home may be
    /// rewritten then), and starts it again resuming its conversation with `prompt`.
    /// - Parameters:
    ///   - instance: the instance.
    ///   - prompt: the first instruction of the resumed conversation.
    ///   - prepare: what to change while it is stopped.
    /// - Throws: what `prepare` or starting throws (the instance is left stopped, waiting to restart).
    public func replace(_ instance: InstanceName, prompt: String, prepare: () throws -> Void) async throws {
        guard let processes else { throw OrchError.failure("the instances are not running") }
        // Marked first: a health check running meanwhile must not take the stopped instance for a failed one.
        await board.update(instance) { $0.health = .waitingToRestart(reason: "switching its credentials", at: .distantFuture) }
        await processes.stop(instance)
        let session = await board.status(instance)?.sessionID
        do {
            try prepare()
            if let layout {
                let home = InstanceHome(instance: instance, layout: layout)
                try home.prepareStart(resuming: session ?? home.lastSessionID(), prompt: prompt)
            }
            try await processes.start(instance)
        } catch {
            await board.update(instance) { $0.health = .waitingToRestart(reason: "its restart on a new credential failed: \(error)", at: Date()) }
            throw error
        }
        let now = Date()
        await board.update(instance) {
            $0.health = .starting
            $0.startedAt = now
            $0.lastActivity = now
            $0.working = false
        }
    }

    /// Stops an instance until `until` (every credential file is limited); ``replace(_:prompt:prepare:)`` brings it back.
    /// - Parameters:
    ///   - instance: the instance.
    ///   - until: the earliest reset.
    public func pause(_ instance: InstanceName, until: Date) async {
        await board.update(instance) {
            $0.health = .paused(until: until)
            $0.working = false
        }
        await processes?.stop(instance)
    }

    /// Types a line into a running instance's pane.
    /// - Parameters:
    ///   - text: one line.
    ///   - instance: the instance.
    /// - Throws: when the instances are not launched or its session is gone.
    public func type(_ text: String, into instance: InstanceName) async throws {
        guard let processes else { throw OrchError.failure("the instances are not running") }
        try await processes.type(text, into: instance)
    }

    /// The first instruction of a resumed conversation.
    /// - Parameters:
    ///   - reason: why the instance was restarted.
    public static func resumePrompt(reason: String) -> String {
        "orch restarted this session because \(reason). Carry on with your work where you left off; if it was finished, stop."
    }
}
