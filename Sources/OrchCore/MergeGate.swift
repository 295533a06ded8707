import Foundation
import GitKit

/// Runs a merge check: OrchRuntime's runs it in a container from the instances' image.
public protocol MergeCheckRunner: Sendable {
    /// What besides the command decides a result (the image's id): part of the cache's key.
    func identity() async -> String
    /// Stops whatever of an earlier check still runs (a crash's leftover), before the worktree is written.
    func clear(_ place: GatePlace) async
    /// Runs `check.command` in `place.worktree`; at its timeout the command is
    /// killed, with nothing of it left running, and the run counts as failed.
    /// A run that could not start says so in ``CheckRun/startFailure``.
    func run(_ check: MergeCheck, in place: GatePlace) async -> CheckRun
}

/// The merge queue's gate: `orch merge` with a `mergeCheck`.
///
/// Ready branches wait in the ``MergeQueue`` in the order they were queued.
/// Whoever holds the target's ``GateLock`` (the server, or an `orch merge`
/// while no server runs) takes them in that order, up to `batchSize` at once:
/// their merges are computed in memory on top of the latest target, the
/// merged tree is written to the gate's own worktree and the check runs
/// there; only when it passes does the target move, by compare-and-swap. A
/// failing batch is split in halves, each gated on its own, down to the
/// branch that breaks it. A failure leaves the target as it was and gives the
/// branch's worker a task to fix it (``CheckFailure``).
///
/// ```swift
/// let gate = MergeGate(configuration: .init(repository: clone, target: "main", check: check), runner: runner)
/// let entries = try await gate.enqueue(["orch/worker-1"])
/// let reports = try await gate.wait(for: entries)
/// ```
public struct MergeGate: Sendable {
    public struct Configuration: Sendable {
        /// orch's clone (or any repository `orch merge` was pointed at).
        public var repository: String
        public var target: String
        public var check: MergeCheck
        /// Takes secrets out of the check's output before anyone sees it.
        public var scrubber = SecretScrubber()

        public init(repository: String, target: String, check: MergeCheck, scrubber: SecretScrubber = SecretScrubber()) {
            self.repository = repository
            self.target = target
            self.check = check
            self.scrubber = scrubber
        }
    }

    /// One check, run or found in the cache: for the event log and the metrics.
    public struct CheckEvent: Sendable, Equatable {
        public var branches: [String]
        public var tree: String
        public var result: String
        public var seconds: Double
        public var cached: Bool
    }

    public let configuration: Configuration
    let runner: any MergeCheckRunner
    let observer: (@Sendable (CheckEvent) async -> Void)?
    let queue: MergeQueue
    public let place: GatePlace
    let git = BlockingQueue(label: "orch.merge-gate")
    /// Per queue entry, how often its gate failed other than by its check: kept across drains.
    let errors = ErrorCounts()

    final class ErrorCounts: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func add(_ id: String) -> Int { lock.withLock { counts[id, default: 0] += 1; return counts[id]! } }
    }

    /// - Throws: ``OrchError`` when the repository cannot be opened.
    public init(configuration: Configuration, runner: any MergeCheckRunner, observer: (@Sendable (CheckEvent) async -> Void)? = nil) throws {
        self.configuration = configuration
        self.runner = runner
        self.observer = observer
        queue = MergeQueue(target: configuration.target)
        place = GatePlace(gitDirectory: try Repository.open(at: configuration.repository, searchingUpward: false).commonDirectory,
                          target: configuration.target)
    }

    func repository() throws -> Repository {
        try Repository.open(at: configuration.repository, searchingUpward: false)
    }

    /// Queues branches (a branch already queued keeps its place).
    /// - Throws: ``OrchError`` (usage) for a branch that does not exist.
    public func enqueue(_ branches: [String]) async throws -> [MergeQueue.Entry] {
        let (queue, target) = (queue, configuration.target)
        return try await git.run {
            let repository = try self.repository()
            guard try repository.branchTip(target) != nil else { throw OrchError.usage("no target branch \(target) in \(repository.displayPath)") }
            for branch in branches where try repository.branchTip(branch) == nil {
                throw OrchError.usage("no branch \(branch) in \(repository.displayPath)")
            }
            return try branches.map { try queue.enqueue($0, in: repository) }
        }
    }

    /// The entries waiting, oldest first.
    public func entries() async throws -> [MergeQueue.Entry] {
        try await git.run { try queue.entries(in: self.repository()) }
    }

    /// Each entry's result, nil while it waits. An entry gone from the queue whose result is no longer
    /// kept (its branch was queued and gated again since) is reported as queued.
    public func results(of entries: [MergeQueue.Entry]) async throws -> [MergeReport?] {
        try await git.run {
            let repository = try self.repository()
            return try entries.map { entry in
                // Queued first: a result is written before its entry goes, so one gone has its result, unless superseded.
                if try queue.isQueued(entry, in: repository) { return nil }
                return try queue.result(of: entry, in: repository) ?? MergeReport(branch: entry.branch, kind: .queued)
            }
        }
    }

    /// Waits until every entry has its result, gating the queue itself whenever
    /// no one else holds the lock; with a deadline, returns what is known by then.
    public func wait(for entries: [MergeQueue.Entry], until deadline: Date? = nil, gating: Bool = true) async throws -> [MergeReport?] {
        while true {
            let reports = try await results(of: entries)
            if !reports.contains(where: { $0 == nil }) { return reports }
            if let deadline, Date() >= deadline { return reports }
            if gating { try await drainIfFree() }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Removes what a crashed gate left running (the server calls it when it starts).
    public func clearLeftovers() async {
        guard let lock = try? GateLock.attempt(place) else { return }
        await runner.clear(place)
        withExtendedLifetime(lock) {}
    }

    /// Gates every queued branch, if no one else holds the lock.
    /// - Returns: false when another process holds it.
    @discardableResult
    public func drainIfFree() async throws -> Bool {
        guard let lock = try GateLock.attempt(place) else { return false }
        defer { withExtendedLifetime(lock) {} }
        while true {
            let entries = try await self.entries()
            guard let first = entries.first else { return true }
            do {
                try await gate(Array(entries.prefix(configuration.check.batchSize)))
                if try await self.entries().first?.id == first.id { throw OrchError.failure("\(first.branch) stayed at the head of the merge queue") }
            } catch let error as CheckStartFailure {
                throw OrchError.failure("the merge check could not run (\(error.why)); \(first.branch) stays queued")
            } catch {
                // One branch whose gate keeps failing (not its check: git, its worktree) must not hold up the queue.
                if error is CancellationError { throw error }
                guard errors.add(first.id) >= Self.attemptsPerEntry else { throw error }
                let message = "the merge gate failed \(Self.attemptsPerEntry) times: \(OrchError(presenting: error)?.message ?? "\(error)")"
                try await git.run { try queue.finish(first, with: MergeReport(branch: first.branch, kind: .refused, message: message), in: self.repository()) }
            }
        }
    }

    /// How often a branch's gate may fail (other than its check failing) before it is taken off the queue, refused.
    static let attemptsPerEntry = 3
}
