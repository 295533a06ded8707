import Foundation
import Logging
import OrchCore
import OrchFlow
import ServiceLifecycle

/// Moves an instance that hit its subscription's rate limit to a free
/// credential file, or pauses it until the earliest reset when none is free.
///
/// The StopFailure hook with `error: rate_limit` starts it. The reset time is
/// read from the hook's `last_assistant_message` (`resets 6:46pm (UTC)`), else
/// from the transcript's last API error (the `anthropic-ratelimit-unified-reset`
/// epoch), else `health.rateLimitSeconds` from now. The file is marked limited
/// until then (kept in `<state>/run/credentials.json`); the instance is stopped,
/// its home gets the new file's credentials, and it is started again resuming
/// its conversation, so the task in progress carries on. Further signals of the
/// same limit change nothing.
///
/// ```swift
/// let rotator = CredentialRotator(pool: pool, supervisor: supervisor, flow: flow, board: board, layout: layout, policy: config.health, events: events, logger: logger)
/// await rotator.rateLimited(.worker(2), message: event.string("last_assistant_message"), transcriptPath: event.transcriptPath)
/// ```
public actor CredentialRotator: Service {
    var pool: CredentialPool
    let supervisor: InstanceSupervisor
    let flow: TaskFlow?
    let board: InstanceBoard
    let layout: StateLayout
    let policy: HealthPolicy
    let events: EventLog?
    let logger: Logger
    var busy: Set<InstanceName> = []
    /// When each instance's last rate-limit signal was acted on.
    var lastActed: [InstanceName: Date] = [:]
    /// A signal that came inside its instance's window, acted on when the window has passed.
    var deferred: [InstanceName: Signal] = [:]
    /// Keeps refreshed OAuth credentials (nil: none kept).
    let custody: CredentialCustody?
    /// The modification time and size of each home's credentials when last looked at.
    var lastSeenCredentials: [InstanceName: [Double]] = [:]
    /// Tokens and cost by credential file path, and each file's windows as its holder last reported them.
    var usageByFile: [String: InstanceUsage] = [:]
    /// Instances whose file passed `health.rotateAtPercent`: they move at their next Stop between tasks.
    var movingBeforeLimit: Set<InstanceName> = []
    /// The file each home was last written from (what a login found in it belongs to), which the pool's
    /// assignment runs ahead of while a move is under way.
    var heldFiles: [InstanceName: CredentialFile] = [:]

    struct Signal {
        var message: String?
        var transcriptPath: String?
        var signalled: Date?
    }

    /// - Parameters:
    ///   - pool: the credential files and who uses which.
    ///   - supervisor: stops, restarts and pauses instances.
    ///   - flow: tells the manager (nil: nobody is told).
    ///   - board: the instances' health (which are paused).
    ///   - layout: the state directory (homes).
    ///   - policy: the default limit length and how often paused instances are looked at.
    ///   - events: where rotations and pauses are recorded.
    ///   - logger: where they are logged.
    ///   - custody: keeps the OAuth credentials instances refresh; nil keeps none.
    public init(pool: CredentialPool, supervisor: InstanceSupervisor, flow: TaskFlow?, board: InstanceBoard, layout: StateLayout,
                policy: HealthPolicy, events: EventLog?, logger: Logger, custody: CredentialCustody? = nil) {
        self.pool = pool
        self.custody = custody
        for name in pool.entries.values.compactMap(\.instance) {
            if let instance = InstanceName(name) { heldFiles[instance] = pool.file(of: instance) }
        }
        self.supervisor = supervisor
        self.flow = flow
        self.board = board
        self.layout = layout
        self.policy = policy
        self.events = events
        self.logger = logger
    }

    /// Resumes paused instances as limits run out, until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.actOnDeferredSignals(now: Date())
                await self.resumePaused(now: Date())
                try? await Task.sleep(for: .seconds(min(self.policy.checkSeconds, 1)))
            }
        }
    }

    /// The pool as it stands (for status output).
    public var snapshot: CredentialPool { pool }

    /// An instance hit its rate limit.
    /// - Parameters:
    ///   - instance: the instance.
    ///   - message: what the client showed (the StopFailure hook's `last_assistant_message`).
    ///   - transcriptPath: its transcript, for the reset time.
    ///   - now: the time.
    ///   - signalled: when the signal was sent; one from before the instance's last start is stale.
    public func rateLimited(_ instance: InstanceName, message: String?, transcriptPath: String?, now: Date = Date(), signalled: Date? = nil) async {
        guard !busy.contains(instance) else { return }
        // A late signal about the file it had before its last (re)start must not mark the new one.
        if let signalled, let started = await board.status(instance)?.startedAt, signalled < started { return }
        if let last = lastActed[instance], now.timeIntervalSince(last) < policy.rateLimitSignalSeconds {
            deferred[instance] = Signal(message: message, transcriptPath: transcriptPath, signalled: signalled)
            return
        }
        // A reset in the past (an old transcript line) means none was given; one past a week is not believed.
        let claimed = [message.flatMap { RateLimitReset.parse($0, now: now) }, transcriptPath.flatMap { resetFromTranscript($0, of: instance, now: now) }]
            .compactMap { $0 }.first { $0 > now } ?? now.addingTimeInterval(policy.rateLimitSeconds)
        let reset = min(claimed, now.addingTimeInterval(RateLimitReset.longest))
        lastActed[instance] = now
        let limited = pool.file(of: instance)
        let marked = pool.markLimited(instance, until: reset)
        // Already marked (another signal of the same limit, or a file still limited since an earlier server): move it all the same.
        guard marked || pool.limitedUntil(of: instance) != nil else { return }
        if marked { OrchMetrics.rateLimits.increment() }
        busy.insert(instance)
        defer { busy.remove(instance) }
        movingBeforeLimit.remove(instance)
        save()
        let until = Self.format(reset)
        logger.warning("\(instance) hit the rate limit of \(limited?.name ?? "its credential file") (resets \(until))")
        await events?.append(.rateLimited, instance: instance, ["file": limited?.name ?? "", "until": until])
        if let next = pool.rotate(instance, now: now) {
            save()
            guard await restart(instance, on: next, leaving: limited, prompt: "orch moved this session to another subscription because the last one hit its rate limit. Carry on with your task where you left off.") else {
                // Its home still holds the old credentials: the pool must say so, or the file could go to a second instance.
                if let limited, next != limited { pool.undoMove(of: instance, from: limited, to: next) }
                save()
                return
            }
            await events?.append(.rotated, instance: instance, ["from": limited?.name ?? "", "to": next.name])
            OrchMetrics.rotations.increment()
            logger.notice("\(instance) now uses \(next.name)")
        } else {
            let resume = pool.earliestReset ?? reset
            await supervisor.pause(instance, until: resume)
            await events?.append(.paused, instance: instance, ["until": Self.format(resume)])
            logger.warning("every credential file is rate-limited: \(instance) paused until \(Self.format(resume))")
            await flow?.notify(ManagerNotice(.paused(instance, until: Int(resume.timeIntervalSince1970)),
                                             text: "every credential file is rate-limited: \(instance) is paused until \(Self.format(resume)); orch resumes it then."))
        }
    }

    /// Acts on the signals that waited for their instance's window to pass.
    /// - Parameters:
    ///   - now: the time.
    public func actOnDeferredSignals(now: Date) async {
        for (instance, signal) in deferred.sorted(by: { $0.key < $1.key }) {
            guard let last = lastActed[instance], now.timeIntervalSince(last) >= policy.rateLimitSignalSeconds else { continue }
            deferred[instance] = nil
            await rateLimited(instance, message: signal.message, transcriptPath: signal.transcriptPath, now: now, signalled: signal.signalled)
        }
    }

    /// Brings back paused instances whose wait is over, on a file that is free by then.
    /// - Parameters:
    ///   - now: the time.
    public func resumePaused(now: Date) async {
        for (instance, status) in await board.snapshot().sorted(by: { $0.key < $1.key }) {
            guard case .paused(let until) = status.health, until <= now, !busy.contains(instance) else { continue }
            let previous = pool.file(of: instance)
            guard let file = pool.rotate(instance, now: now) else {
                let later = pool.earliestReset ?? now.addingTimeInterval(policy.rateLimitSeconds)
                await board.update(instance) { $0.health = .paused(until: later) }
                continue
            }
            busy.insert(instance)
            save()
            let restarted = await restart(instance, on: file, leaving: previous, prompt: "orch paused this session while every subscription was rate-limited; the limit has reset. Carry on with your task where you left off.")
            busy.remove(instance)
            guard restarted else {
                if let previous, previous != file { pool.undoMove(of: instance, from: previous, to: file) }
                save()
                continue
            }
            await events?.append(.resumed, instance: instance, ["file": file.name, "previous": previous?.name ?? ""])
            logger.notice("\(instance) resumed on \(file.name)")
        }
    }

    /// - Parameters:
    ///   - leaving: the file it had: what its home holds of it is kept first, if fresher (it may have refreshed it).
    /// - Returns: whether the instance runs on `file` now.
    func restart(_ instance: InstanceName, on file: CredentialFile, leaving: CredentialFile?, prompt: String) async -> Bool {
        let home = InstanceHome(instance: instance, layout: layout)
        let (custody, logger) = (custody, logger)
        do {
            try await supervisor.replace(instance, prompt: prompt) {
                if let custody, let leaving { Self.keep(from: home, file: leaving, custody: custody, logger: logger) }
                try home.switchCredential(to: file, custody: custody)
            }
            heldFiles[instance] = file
            return true
        } catch {
            logger.error("cannot restart \(instance) on \(file.name): \(error)")
            return false
        }
    }

    /// Counts an instance's usage against the file it holds now, and its windows against ``HealthPolicy/rotateAtPercent``.
    public func noteUsage(_ increase: InstanceUsage, of instance: InstanceName, received: Date = Date()) async {
        guard !busy.contains(instance), let file = pool.file(of: instance) else { return }
        var usage = usageByFile[file.path] ?? InstanceUsage()
        usage.add(increase)
        usage.takeWindows(of: increase)
        usageByFile[file.path] = usage
        await noteWindows(increase, of: instance, received: received)
    }

    /// Looks at the instance's credentials (after its hook events): a refreshed OAuth login is kept at once,
    /// so its next holder, and its file, get the new refresh token even if this instance never leaves it.
    public func checkCredentials(of instance: InstanceName) {
        // Mid-move the home may hold either file's login: the move keeps it itself.
        guard let custody, !busy.contains(instance), let file = heldFiles[instance], file.kind == .oauth else { return }
        let home = InstanceHome(instance: instance, layout: layout)
        // Only a changed file is read: a stat, not a read and a parse, on every Stop.
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: home.path + "/" + InstanceHome.credentialsFile),
              let modified = attributes[.modificationDate] as? Date, let size = attributes[.size] as? Int else { return }
        let seen = [modified.timeIntervalSince1970, Double(size)]
        guard lastSeenCredentials[instance] != seen else { return }
        lastSeenCredentials[instance] = seen
        Self.keep(from: home, file: file, custody: custody, logger: logger)
    }

    static func keep(from home: InstanceHome, file: CredentialFile, custody: CredentialCustody, logger: Logger) {
        do {
            if try custody.capture(from: home, file: file) { logger.notice("kept the refreshed login of \(file.name) from \(home.instance)") }
        } catch {
            logger.error("cannot keep the refreshed login of \(file.name): \(error)")
        }
    }

    func save() {
        do {
            try pool.save()
        } catch {
            logger.error("cannot keep the credential state in \(pool.stateFile): \(error)")
        }
    }

    /// The reset time in the transcript's last API error, if it says. Only the
    /// instance's own transcript is read: a regular file under its home, its last 64 KiB.
    nonisolated func resetFromTranscript(_ path: String, of instance: InstanceName, now: Date) -> Date? {
        guard let data = InstanceHome(instance: instance, layout: layout).transcriptTail(path) else { return nil }
        let tail = String(decoding: data, as: UTF8.self)
        guard let line = tail.split(separator: "\n").last(where: { $0.contains("\"isApiErrorMessage\":true") }) else { return nil }
        return RateLimitReset.parse(String(line), now: now)
    }

    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: false).format(date)
    }
}
