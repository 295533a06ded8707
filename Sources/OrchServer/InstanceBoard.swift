import Foundation
import OrchCore
import OrchFlow

/// The server's live view of every instance, fed by hook events and the
/// health checks, read by the supervisor (and by status output).
///
/// ```swift
/// let board = InstanceBoard(instances: fleet.instances)
/// await board.record(event)            // from the hook receiver
/// await board.waitUntilAllStarted()    // every instance has said SessionStart
/// ```
public actor InstanceBoard {
    private var statuses: [InstanceName: InstanceStatus]
    private var startWaiters: [CheckedContinuation<Void, Never>] = []
    /// The instances have been launched.
    public private(set) var isLaunched = false
    /// Instances whose sessions outlived an earlier server (known once launched).
    public private(set) var adopted: Set<InstanceName> = []

    /// - Parameters:
    ///   - instances: every instance.
    ///   - adopted: instances whose session outlived an earlier server (counted as running).
    ///   - now: when they were started.
    public init(instances: [InstanceName], adopted: Set<InstanceName> = [], now: Date = Date()) {
        var statuses: [InstanceName: InstanceStatus] = [:]
        for instance in instances {
            var status = InstanceStatus(startedAt: now)
            if adopted.contains(instance) { status.health = .running }
            statuses[instance] = status
        }
        self.statuses = statuses
    }

    /// Takes in a hook event.
    /// - Parameters:
    ///   - event: an authenticated event.
    public func record(_ event: HookEvent) {
        guard var status = statuses[event.instance] else { return }
        status.lastEvent = event.name
        status.lastActivity = event.received
        if event.name.startsWork { status.working = true }
        if event.name.endsWork { status.working = false }
        if event.name == .sessionStart {
            status.sessionID = event.sessionID ?? status.sessionID
            if case .starting = status.health { status.health = .running }
        }
        statuses[event.instance] = status
        resumeStartWaitersIfDone()
    }

    /// Takes in a status-line report: the cost its session added since the last report is added to the instance's
    /// usage, and its windows are kept.
    /// - Returns: that increase (with the windows as reported), nil for an unknown instance.
    func recordUsage(_ instance: InstanceName, _ report: StatusLineReport) -> InstanceUsage? {
        guard var status = statuses[instance] else { return nil }
        var increase = report.totals
        // The same session counts on from its last report; a new session counts from nothing.
        if let baseline = status.usageBaseline, baseline.sessionID == report.sessionID, report.totals.costUSD >= baseline.totals.costUSD {
            increase.costUSD -= baseline.totals.costUSD
        }
        status.usageBaseline = report
        status.usage.add(increase)
        status.usage.takeWindows(of: report.totals)
        statuses[instance] = status
        return increase
    }

    /// Adds tokens read from the instance's transcript.
    func addTokens(_ tokens: InstanceUsage, of instance: InstanceName) {
        statuses[instance]?.usage.add(tokens)
    }

    /// Notes the task an instance works on now. When it is another than the one noted before, returns that one (nil
    /// when there was none) with what the instance's sessions used since it was noted; nil when nothing changed.
    func startTask(_ task: String?, of instance: InstanceName) -> (String?, InstanceUsage)? {
        guard var status = statuses[instance], status.currentTask?.task != task else { return nil }
        let spent = status.currentTask.map { status.usage.since($0.usage) } ?? status.usage
        let finished = status.currentTask?.task
        status.currentTask = .init(task: task, usage: status.usage)
        statuses[instance] = status
        return (finished, spent)
    }

    /// Records that the instances were launched.
    /// - Parameters:
    ///   - adopted: those whose sessions outlived an earlier server.
    public func markLaunched(adopted: Set<InstanceName>) {
        self.adopted = adopted
        isLaunched = true
    }

    /// Whether an instance is up: not waiting for a restart, not failed.
    /// - Parameters:
    ///   - instance: the instance.
    public func isRunning(_ instance: InstanceName) -> Bool {
        switch statuses[instance]?.health {
        case .running, .starting: true
        default: false
        }
    }

    /// One instance's status.
    /// - Parameters:
    ///   - instance: the instance.
    public func status(_ instance: InstanceName) -> InstanceStatus? { statuses[instance] }

    /// Every instance's status.
    public func snapshot() -> [InstanceName: InstanceStatus] { statuses }

    /// Changes one instance's status.
    /// - Parameters:
    ///   - instance: the instance.
    ///   - change: what to change.
    public func update(_ instance: InstanceName, _ change: (inout InstanceStatus) -> Void) {
        guard var status = statuses[instance] else { return }
        change(&status)
        statuses[instance] = status
        resumeStartWaitersIfDone()
    }

    /// Returns once every instance has started its session (or has failed).
    public func waitUntilAllStarted() async {
        if allStarted { return }
        await withCheckedContinuation { startWaiters.append($0) }
    }

    private var allStarted: Bool {
        statuses.values.allSatisfy {
            switch $0.health {
            case .running, .failed, .paused: true
            case .starting, .waitingToRestart: false
            }
        }
    }

    private func resumeStartWaitersIfDone() {
        guard allStarted, !startWaiters.isEmpty else { return }
        let waiters = startWaiters
        startWaiters = []
        for waiter in waiters { waiter.resume() }
    }
}

extension InstanceBoard: InstanceWatch {
    /// What the task flow needs before it types into panes.
    public func sighting() -> InstanceSighting {
        InstanceSighting(launched: isLaunched, adopted: adopted, running: Set(statuses.keys.filter { isRunning($0) }),
                         heard: statuses.mapValues { InstanceSighting.Heard(at: $0.lastActivity, event: $0.lastEvent) })
    }
}
