import Dispatch
import Foundation
import Logging
import OrchCore
import OrchFlow
import ServiceLifecycle

/// Keeps the user's remote in step with orch's target while the server runs:
/// pushes the target whenever it moves (a burst of merges is one push of the
/// newest tip), fetches the remote's target every `remote.fetchSeconds` and
/// whenever a push is refused, takes its new commits in, and sends an upstream
/// conflict to the manager. A remote that is down or refuses is retried with
/// backoff while the run goes on locally. Nothing here is on the hook path:
/// network work runs on a queue of its own, local git reads on another.
public actor RemoteSyncService: Service {
    let sync: RemoteSync
    let fetchInterval: TimeInterval
    let notify: @Sendable (ManagerNotice) async -> Void
    let events: EventLog?
    let logger: Logger
    let operationTimeout: Duration
    let finalPushTimeout: Duration
    /// One operation on the network at a time: pushes and fetches of one remote are serial.
    private let network = DispatchQueue(label: "orch.remote-sync")
    private let running = RunningCount()
    private let local = BlockingQueue(label: "orch.remote-sync.local")
    private var status: RemoteSyncStatus
    private var pushedTip: String?
    private var countedTip: String?
    private var notifiedUpstream: String?
    private var nextFetch = Date.distantPast
    private var nextBranchPush = Date.distantPast
    private var failures = 0
    private var refusals = 0
    private var retryAt = Date.distantPast

    /// How often the target's tip is looked at (reading one ref: a fraction of a millisecond).
    static let tick = Duration.milliseconds(50)
    /// orch's own branches move with every commit of an instance: pushed at most this often.
    static let branchInterval: TimeInterval = 5

    /// - Parameters:
    ///   - operationTimeout: how long one fetch or push may take before it counts as failed.
    ///   - finalPushTimeout: how long the last push on shutdown may take.
    public init(sync: RemoteSync, fetchSeconds: Double, notify: @escaping @Sendable (ManagerNotice) async -> Void, events: EventLog?,
                logger: Logger, operationTimeout: Duration = .seconds(120), finalPushTimeout: Duration = .seconds(15)) {
        self.sync = sync
        self.fetchInterval = fetchSeconds
        self.notify = notify
        self.events = events
        self.logger = logger
        self.operationTimeout = operationTimeout
        self.finalPushTimeout = finalPushTimeout
        self.status = RemoteSyncStatus(url: sync.displayURL)
    }

    /// The sync state for `orch status` and the dashboard.
    public func snapshot() -> RemoteSyncStatus { status }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.cycle(now: Date())
                try? await Task.sleep(for: Self.tick)
            }
        }
        await finalPush()
    }

    /// One round: fetch when due, take upstream commits in, push what moved.
    func cycle(now: Date) async {
        let tip = try? await locally { try $0.targetTip() }
        if tip != countedTip {
            countedTip = tip
            await refreshCounts()
        }
        guard now >= retryAt else { return }
        let fetching = now >= nextFetch
        let branchesDue = sync.pushesBranches && now >= nextBranchPush
        guard fetching || tip != pushedTip || branchesDue else { return }
        var stage = "fetch"
        do {
            if fetching {
                try await overNetwork(operationTimeout) { try $0.fetch() }
                OrchMetrics.fetches(result: "ok").increment()
                status.lastFetch = RemoteSyncStatus.format(now)
                nextFetch = now.addingTimeInterval(fetchInterval)
            }
            stage = "merge"
            try await takeIn()
            stage = "push"
            let refused = try await pushTarget(now: now)
            pushedTip = tip
            if branchesDue {
                let branches = try await overNetwork(operationTimeout) { try $0.pushBranches() }
                if !branches.isEmpty { logger.debug("pushed \(branches.joined(separator: ", ")) to \(sync.displayURL)") }
                nextBranchPush = now.addingTimeInterval(Self.branchInterval)
            }
            // A refusal keeps its backoff growing; only a round the remote took resets it.
            if !refused { (failures, status.state, status.lastError) = (0, nil, nil) }
        } catch {
            failed(stage, error, now: now)
        }
        await refreshCounts()
    }

    private func takeIn() async throws {
        switch try await locally({ try $0.takeIn() }) {
        case .upToDate:
            status.conflict = nil
        case .fastForwarded, .merged:
            status.conflict = nil
            logger.info("took in new commits of \(sync.target) from \(sync.displayURL)")
            await events?.append(.upstreamMerged, instance: nil, ["target": sync.target])
        case .conflicted(let paths, let upstream):
            if status.conflict != paths {
                logger.warning("\(sync.displayURL)'s \(sync.target) conflicts with orch's in \(paths.joined(separator: ", ")): the manager resolves it on orch/manager")
                await events?.append(.upstreamConflict, instance: nil, ["paths": paths.joined(separator: " ")])
            }
            status.conflict = paths
            if notifiedUpstream != upstream {
                notifiedUpstream = upstream
                await notify(ManagerNotice(.upstreamConflict(remoteTip: upstream), text: Self.conflictText(target: sync.target, paths: paths)))
            }
        }
    }

    /// Pushes the target; returns whether the remote refused it.
    private func pushTarget(now: Date) async throws -> Bool {
        switch try await overNetwork(operationTimeout, { try $0.pushTarget() }) {
        case .upToDate, .behind:
            refusals = 0
            return false
        case .pushed(let commit):
            refusals = 0
            OrchMetrics.pushes(result: "ok").increment()
            status.lastPush = RemoteSyncStatus.format(now)
            logger.info("pushed \(sync.target) (\(commit.prefix(10))) to \(sync.displayURL)")
            await events?.append(.pushed, instance: nil, ["target": sync.target, "commit": commit])
            return false
        case .rejected(let reason):
            OrchMetrics.pushes(result: "rejected").increment()
            refusals += 1
            (status.state, status.lastError) = ("rejected", reason)
            // Usually the remote moved since the last fetch: fetch now and merge it in. Refused
            // again with nothing new (a protected branch, a hook), it waits like a failure.
            nextFetch = .distantPast
            if refusals > 1 {
                failures += 1
                retryAt = now.addingTimeInterval(Self.backoff(failures))
            }
            logger.info("\(sync.displayURL) refused \(sync.target) (\(reason)); fetching it")
            return true
        }
    }

    private func failed(_ stage: String, _ error: any Error, now: Date) {
        OrchMetrics.counter(for: stage).increment()
        failures += 1
        let wait = Self.backoff(failures)
        retryAt = now.addingTimeInterval(wait)
        let message = "\(error)"
        if status.lastError != message {
            logger.warning("cannot \(stage) \(sync.displayURL) (retrying in \(Int(wait)) s, the run goes on locally): \(message)")
        }
        status.lastError = message
        status.state = stage == "merge" ? "error" : "unreachable"
    }

    /// 1, 2, 4 … 30 seconds.
    static func backoff(_ failures: Int) -> TimeInterval {
        min(30, pow(2, Double(min(failures, 6) - 1)))
    }

    private func refreshCounts() async {
        guard let counts = try? await locally({ try $0.counts() }) else { return }
        (status.ahead, status.behind) = (counts.ahead, counts.behind)
    }

    /// On shutdown: one last push of the target and orch's branches, bounded in time.
    func finalPush() async {
        var problem: String?
        do {
            switch try await overNetwork(finalPushTimeout, queueing: true, { try $0.pushTarget() }) {
            case .upToDate, .pushed: break
            case .behind: problem = "\(sync.displayURL) has commits orch has not merged yet"
            case .rejected(let reason): problem = reason
            }
            _ = try await overNetwork(finalPushTimeout, queueing: true) { try $0.pushBranches() }
        } catch {
            problem = problem ?? "\(error)"
        }
        if let problem {
            logger.error("could not push \(sync.target) to \(sync.displayURL) before exiting: \(problem); the next orch serve pushes it")
        } else {
            logger.info("\(sync.target) is on \(sync.displayURL)")
        }
    }

    /// Local git work (reads, the in-memory merge), never stuck behind the network.
    private func locally<Value: Sendable>(_ work: @escaping @Sendable (RemoteSync) throws -> Value) async throws -> Value {
        let sync = sync
        return try await local.run { try work(sync) }
    }

    /// Network work, waited for at most `timeout` (or until the service is cancelled).
    /// libgit2 1.5 has no network timeouts: an operation to a remote that never answers
    /// holds the queue's one thread, so a round finds it still running and fails at once
    /// rather than queueing behind it (one stuck thread, not one per round). The last
    /// push on shutdown does queue: an operation cut off by SIGTERM usually ends soon.
    private func overNetwork<Value: Sendable>(_ timeout: Duration, queueing: Bool = false,
                                              _ work: @escaping @Sendable (RemoteSync) throws -> Value) async throws -> Value {
        let (sync, queue, running) = (sync, network, running)
        if !queueing, running.isBusy {
            throw OrchError.failure("\(sync.displayURL) has not answered orch's previous fetch or push yet")
        }
        let outcome = ResumeOnce<Value>()
        let seconds = timeout.inSeconds
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    outcome.install(continuation)
                    running.enter()
                    queue.async {
                        defer { running.leave() }
                        // Timed out or cancelled while it waited: it is not started at all.
                        guard !outcome.isSettled else { return }
                        outcome.resume(with: Swift.Result { try work(sync) })
                    }
                    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { outcome.resume(with: .failure(TimedOut(seconds: seconds))) }
                }
            } onCancel: {
                outcome.resume(with: .failure(CancellationError()))
            }
        } catch let error as TimedOut {
            throw OrchError.failure("\(sync.displayURL) gave no answer within \(error.seconds.formatted()) s")
        }
    }

    /// The manager's instruction for an upstream conflict.
    static func conflictText(target: String, paths: [String]) -> String {
        "The remote's \(target) has commits that conflict with \(target) in: \(paths.joined(separator: ", ")). "
            + "On orch/manager run `git merge \(target)`, then `git merge upstream/\(target)` (your clone's copy of the remote's); take \(target)'s task lists "
            + "(`git checkout \(target) -- 'WORKER_*_TASK_LIST.md'`: orch has added the remote's task lines there already), "
            + "resolve the other paths, commit, and run `orch merge manager`. "
            + "Until then orch keeps merging locally and pushes once \(target) holds upstream/\(target)."
    }
}
