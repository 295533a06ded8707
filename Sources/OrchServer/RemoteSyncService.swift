import Dispatch
import Foundation
import Logging
import OrchCore
import ServiceLifecycle

/// Keeps the user's remote in step with orch's target while the server runs:
/// pushes the target whenever it moves (a burst of merges is one push of the
/// newest tip), fetches the remote's target every `remote.fetchSeconds` and
/// whenever a push is refused, takes its new commits in, and sends an upstream
/// conflict to the manager. An unreachable remote is retried with backoff while
/// the run goes on locally. Nothing here is on the hook path: the network work
/// runs on its own queue, one operation at a time.
public actor RemoteSyncService: Service {
    let sync: RemoteSync
    let fetchInterval: Duration
    let notify: @Sendable (ManagerNotice) async -> Void
    let events: EventLog?
    let logger: Logger
    /// Blocking libgit2 and network work stays off the concurrency pool. Replaced
    /// when an operation hangs: libgit2 1.5 has no network timeouts, so a remote
    /// that accepts a connection and never answers would hold it for good.
    private var queue = DispatchQueue(label: "orch.remote-sync")
    let operationTimeout: Duration
    let finalPushTimeout: Duration
    private var notifiedUpstream: String?
    private var status: RemoteSyncStatus
    private var pushedTip: String?
    private var countedTip: String?
    private var nextFetch = Date.distantPast
    private var nextBranchPush = Date.distantPast
    private var failures = 0
    private var retryAt = Date.distantPast

    /// How often the target's tip is looked at.
    static let tick = Duration.milliseconds(250)
    /// orch's own branches move with every commit of an instance: pushed at most this often.
    static let branchInterval: TimeInterval = 5
    /// - Parameters:
    ///   - operationTimeout: how long one fetch or push may take before it counts as failed.
    ///   - finalPushTimeout: how long the last push on shutdown may take.
    public init(sync: RemoteSync, fetchSeconds: Double, notify: @escaping @Sendable (ManagerNotice) async -> Void, events: EventLog?,
                logger: Logger, operationTimeout: Duration = .seconds(120), finalPushTimeout: Duration = .seconds(15)) {
        self.sync = sync
        self.operationTimeout = operationTimeout
        self.finalPushTimeout = finalPushTimeout
        self.fetchInterval = .seconds(fetchSeconds)
        self.notify = notify
        self.events = events
        self.logger = logger
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

    /// One look: fetch when due, take upstream commits in, push what moved.
    func cycle(now: Date) async {
        let tip = try? await blocking { try $0.targetTip() }
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
                try await blocking { try $0.fetch() }
                OrchMetrics.fetches(result: "ok").increment()
                status.lastFetch = RemoteSyncStatus.format(now)
                nextFetch = now.addingTimeInterval(TimeInterval(fetchInterval.components.seconds))
            }
            stage = "merge"
            await takeIn()
            stage = "push"
            try await pushTarget(now: now)
            pushedTip = tip
            if branchesDue {
                let branches = try await blocking { try $0.pushBranches() }
                if !branches.isEmpty { logger.debug("pushed \(branches.joined(separator: ", ")) to \(sync.displayURL)") }
                nextBranchPush = now.addingTimeInterval(Self.branchInterval)
            }
            failures = 0
            if status.state != "rejected" { status.lastError = nil }
        } catch {
            failed(stage, error, now: now)
        }
        await refreshCounts()
    }

    private func takeIn() async {
        let integration: RemoteSync.Integration
        do {
            integration = try await blocking { try $0.takeIn() }
        } catch {
            logger.error("cannot merge \(sync.displayURL)'s \(sync.target) into \(sync.target): \(error)")
            return
        }
        switch integration {
        case .upToDate:
            status.conflict = nil
        case .fastForwarded, .merged:
            status.conflict = nil
            logger.info("took in new commits of \(sync.target) from \(sync.displayURL)")
            await events?.append("upstream-merged", instance: nil, ["target": sync.target])
        case .conflicted(let paths, let upstream):
            let isNew = status.conflict != paths
            status.conflict = paths
            if isNew {
                logger.warning("\(sync.displayURL)'s \(sync.target) conflicts with orch's in \(paths.joined(separator: ", ")): the manager resolves it on orch/manager")
                await events?.append("upstream-conflict", instance: nil, ["paths": paths.joined(separator: " ")])
            }
            if notifiedUpstream != upstream {
                notifiedUpstream = upstream
                await notify(ManagerNotice(key: "upstream-conflict:\(upstream)", text: Self.conflictText(target: sync.target, paths: paths)))
            }
        }
    }

    private func pushTarget(now: Date) async throws {
        switch try await blocking({ try $0.pushTarget() }) {
        case .upToDate, .behind:
            break
        case .pushed(let commit):
            OrchMetrics.pushes(result: "ok").increment()
            status.lastPush = RemoteSyncStatus.format(now)
            status.state = nil
            logger.info("pushed \(sync.target) (\(commit.prefix(10))) to \(sync.displayURL)")
            await events?.append("pushed", instance: nil, ["target": sync.target, "commit": commit])
        case .rejected(let reason):
            OrchMetrics.pushes(result: "rejected").increment()
            status.state = "rejected"
            status.lastError = reason
            // The remote moved since the last fetch: fetch now and merge it in.
            nextFetch = .distantPast
            logger.info("\(sync.displayURL) refused \(sync.target) (\(reason)); fetching it")
        }
    }

    private func failed(_ stage: String, _ error: any Error, now: Date) {
        OrchMetrics.counter(for: stage).increment()
        failures += 1
        let wait = min(60, pow(2, Double(min(failures, 6)) - 1))
        retryAt = now.addingTimeInterval(wait)
        let message = "\(error)"
        if status.lastError != message {
            logger.warning("cannot \(stage) \(sync.displayURL) (retrying in \(Int(wait)) s, the run goes on locally): \(message)")
        }
        status.lastError = message
        status.state = "unreachable"
    }

    private func refreshCounts() async {
        guard let counts = try? await blocking({ try $0.counts() }) else { return }
        (status.ahead, status.behind) = (counts.ahead, counts.behind)
    }

    /// On shutdown: one last push of the target and orch's branches, bounded in time.
    func finalPush() async {
        let outcome = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    let result = try await self.blocking { try $0.pushTarget() }
                    _ = try await self.blocking { try $0.pushBranches() }
                    switch result {
                    case .upToDate, .pushed: return nil
                    case .behind: return "\(self.sync.displayURL) has commits orch has not merged yet"
                    case .rejected(let reason): return reason
                    }
                } catch {
                    return "\(error)"
                }
            }
            let limit = finalPushTimeout
            group.addTask {
                try? await Task.sleep(for: limit)
                return "no answer within \(limit)"
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        if let outcome {
            logger.error("could not push \(sync.target) to \(sync.displayURL) before exiting: \(outcome); the next orch serve pushes it")
        } else {
            logger.info("\(sync.target) is on \(sync.displayURL)")
        }
    }

    /// Runs `work` on the queue and waits for it, at most `operationTimeout`.
    private func blocking<Value: Sendable>(_ work: @escaping @Sendable (RemoteSync) throws -> Value) async throws -> Value {
        let (sync, queue, timeout) = (sync, queue, operationTimeout)
        let outcome = ResumeOnce<Value>()
        do {
            return try await withCheckedThrowingContinuation { continuation in
                outcome.install(continuation)
                queue.async { outcome.resume(with: Swift.Result { try work(sync) }) }
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    outcome.resume(with: .failure(TimedOut(seconds: seconds)))
                }
            }
        } catch let error as TimedOut {
            // The hung operation keeps its thread; later ones get a queue of their own.
            self.queue = DispatchQueue(label: "orch.remote-sync")
            throw OrchError.failure("\(sync.displayURL) gave no answer within \(error.seconds.formatted()) s")
        }
    }

    /// The manager's instruction for an upstream conflict.
    static func conflictText(target: String, paths: [String]) -> String {
        "The remote's \(target) has commits that conflict with \(target) in: \(paths.joined(separator: ", ")). "
            + "On orch/manager run `git merge \(target)`, then `git merge origin/\(target)`, resolve those paths, commit, "
            + "and run `orch merge manager`. Until then orch keeps merging locally and pushes once \(target) holds origin/\(target)."
    }
}
