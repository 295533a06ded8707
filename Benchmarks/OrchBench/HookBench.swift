import Foundation
import GitKit
import Logging
import OrchCore
import OrchFlow
import OrchServer

/// The receiver's figures (issues #4 and #14): hook round trips in both modes (process start or POST to reply),
/// the server's own handling time per event, and requests per second.
func benchmarkHooks(work: String, roundTrips: Int = 300) async throws {
    let origin = "\(work)/hooks-origin"
    try seedRepository(at: origin)
    let layout = StateLayout(root: "\(work)/hooks-state")
    let workspace = try Workspace.prepare(repositoryURL: origin, target: "main", workerCount: 3, layout: layout)
    let repository = try Repository.open(at: layout.clone)
    // Plenty of queued tasks, so every Stop does the real work: read the refs, merge the target in, record a delivery.
    for index in 0..<(3 * roundTrips + 50) {
        _ = try TaskAssignment(worker: 1 + index % 3, text: "Task number \(index)", branch: "main").commit(to: repository)
    }
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let board = InstanceBoard(instances: workspace.instances)
    let events = try EventLog(file: layout.events)
    let flow = TaskFlow(configuration: .init(target: "main", workerCount: 3, layout: layout), typer: { _, _ in }, events: events, logger: logger)
    let timed = TimedHandler(inner: HookRouter(board: board, layout: layout, flow: flow, logger: logger))
    let tokens = try InstanceTokens.loadOrCreate(file: layout.tokens, instances: workspace.instances)
    // With the Orch-Mirror header as `orch serve` sends it (its own queue and handle): the round trip pays for reading it.
    let mirrorReads = BlockingQueue(label: "bench.mirror")
    let mirrorWorkspace = TaskWorkspace(target: "main", layout: layout)
    let mirror: @Sendable (InstanceName) async -> String? = { instance in await mirrorReads.run { try? mirrorWorkspace.mirror(of: instance) } }
    let (server, port) = await start(HookReceiver(address: ChannelAddress(host: "127.0.0.1", port: 0), tokens: tokens, handler: timed,
                                                  events: events, mirror: mirror, logger: logger))
    let endpoint = ChannelAddress(host: "127.0.0.1", port: port)

    let modes = try await measureModes(endpoint: endpoint, tokens: tokens, repository: repository, timed: timed, roundTrips: roundTrips)

    // Throughput: 16 connections at once from this process for 3 s each, a cheap event and a Stop.
    let notification = Array(#"{"session_id": "bench", "hook_event_name": "Notification", "notification_type": "idle_prompt"}"#.utf8)
    let cheap = await throughput(endpoint: endpoint, token: tokens.token(for: .worker(2))!, event: "Notification", body: notification)
    _ = await timed.take()
    let stops = await throughput(endpoint: endpoint, token: tokens.token(for: .worker(3))!, event: "Stop", body: Array(benchStop.utf8))
    server.cancel()

    print("")
    print("| figure | value | goal |")
    print("|---|---:|---|")
    printModes(modes)
    print(String(format: "| requests per second, Notification events, 16 connections | %.0f | |", cheap))
    print(String(format: "| requests per second, worker Stop events (each a task handed over), 16 connections | %.0f | |", stops))
}

/// Times the handler it wraps.
actor TimedHandler: HookHandler {
    let inner: HookRouter
    var durations: [Double] = []

    init(inner: HookRouter) { self.inner = inner }

    func handle(_ event: HookEvent) async -> HookReply {
        let start = DispatchTime.now().uptimeNanoseconds
        let reply = await inner.handle(event)
        durations.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        return reply
    }

    func take() -> [Double] {
        defer { durations = [] }
        return durations
    }
}

/// Runs `orch hook EVENT` (when `executable` is orch) or `orch-hook EVENT` with `input` on stdin; its stdout.
/// Spawned with posix_spawn and reaped with waitpid, as a hook runner does: Foundation's Process adds a run loop
/// and a reaper thread of its own, which the figure is not about.
func hookProcess(_ executable: String = orchBinary, event: String, input: String, environment: [String: String]) -> String {
    var toChild: [Int32] = [0, 0]
    var fromChild: [Int32] = [0, 0]
    guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { fatalError("pipe: \(errno)") }
    for descriptor in toChild + fromChild { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    #if canImport(Darwin)
    var actions: posix_spawn_file_actions_t? = nil
    #else
    var actions = posix_spawn_file_actions_t()
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let arguments = [executable] + (executable.hasSuffix("/orch") ? ["hook", event] : [event])
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { fatalError("cannot run \(executable)") }
    close(toChild[0])
    close(fromChild[1])
    let bytes = Array(input.utf8)
    _ = bytes.withUnsafeBytes { write(toChild[1], $0.baseAddress, $0.count) }
    close(toChild[1])
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fromChild[0], $0.baseAddress, $0.count) }
        if count > 0 { output += chunk[..<count] } else if count < 0 && errno == EINTR { continue } else { break }
    }
    close(fromChild[0])
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return String(decoding: output, as: UTF8.self)
}

func throughput(endpoint: ChannelAddress, token: String, event: String, body: [UInt8], connections: Int = 16, seconds: Double = 3) async -> Double {
    let client = HookClient(endpoint: endpoint, token: token)
    let start = DispatchTime.now().uptimeNanoseconds
    let deadline = start + UInt64(seconds * 1e9)
    let total = await withTaskGroup(of: Int.self) { group in
        for _ in 0..<connections {
            group.addTask {
                var done = 0
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    if case .reply(200, _) = await client.send(event: event, body: body) { done += 1 }
                }
                return done
            }
        }
        return await group.reduce(0, +)
    }
    return Double(total) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// Runs a receiver on its loopback port until the task is cancelled.
func start(_ receiver: HookReceiver) async -> (server: Task<Void, any Error>, port: Int) {
    let (listening, continuation) = AsyncStream<Int>.makeStream()
    let app = receiver.application(onRunning: { port in
        continuation.yield(port)
        continuation.finish()
    })
    let server = Task { try await app.runService() }
    var port = 0
    for await bound in listening { port = bound }
    return (server, port)
}

/// One hook mode's round trips and the server's handling of the same events.
struct HookMode {
    let name: String
    let trips: [Double]
    /// The round trips of Stops that merged nothing (the target had not moved since that worker's last Stop).
    let plainTrips: [Double]
    /// Every tenth round moved the target: the first Stop of each worker after it merged it in.
    let handling: [Double]
    let merging: [Double]

    init(name: String, trips: [Double], handled: [Double]) {
        self.name = name
        self.trips = trips
        plainTrips = trips.enumerated().filter { $0.offset % 10 >= 3 }.map(\.element)
        handling = handled.enumerated().filter { $0.offset % 10 >= 3 }.map(\.element)
        merging = handled.enumerated().filter { $0.offset % 10 < 3 }.map(\.element)
    }
}

/// The Stop every round trip sends.
let benchStop = #"{"session_id": "bench", "hook_event_name": "Stop", "stop_hook_active": false, "transcript_path": "/tmp/x", "cwd": "/tmp"}"#

/// Round trips of each hook mode on one server (see the comment inside), with the server's handling of the same events.
func measureModes(endpoint: ChannelAddress, tokens: InstanceTokens, repository: Repository, timed: TimedHandler,
                  roundTrips: Int) async throws -> [HookMode] {
    // Round trips, the two modes side by side on one server: (a) a process per event, as Claude Code runs a command
    // hook (orch-hook, the default; orch hook, what (a) was before it), and (b) Claude Code's own HTTP hooks, one
    // POST per event from a process that is already running (here this one; a new connection each time, as Claude
    // Code makes after a few idle seconds). Every tenth round the target moves (a new task for another worker),
    // so the next Stop of each worker merges it in.
    let stop = benchStop
    let forwarder = URL(fileURLWithPath: orchBinary).deletingLastPathComponent().appendingPathComponent("orch-hook").path
    var modes: [HookMode] = []
    // ORCH_BENCH_PAUSE_MS: a pause between Stops (instances stop seconds apart; back to back, each Stop's
    // recorded marks are still being written when the next one comes).
    let pause = Int(ProcessInfo.processInfo.environment["ORCH_BENCH_PAUSE_MS"] ?? "") ?? 0
    for (name, process) in [("(a) `orch-hook Stop`, process start to reply", Optional(forwarder)),
                            ("(a) before: `orch hook Stop`, process start to reply", Optional(orchBinary)),
                            ("(b) HTTP hook: one POST from a running client", nil)] {
        var trips: [Double] = []
        for index in 0..<roundTrips {
            if index % 10 == 0 {
                _ = try TaskAssignment(worker: 1 + (index / 10) % 3, text: "More work \(index)", branch: "main").commit(to: repository)
            }
            let token = tokens.token(for: .worker(1 + index % 3))!
            let start = DispatchTime.now().uptimeNanoseconds
            let reply: String
            if let process {
                reply = hookProcess(process, event: "Stop", input: stop, environment: ["ORCH_URL": endpoint.url, "ORCH_TOKEN": token])
            } else if case .reply(_, let body) = await HookClient(endpoint: endpoint, token: token).send(event: "Stop", body: Array(stop.utf8)) {
                reply = body
            } else {
                reply = ""
            }
            trips.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if pause > 0 { try await Task.sleep(for: .milliseconds(pause)) }
            if index == 0 && !reply.contains("\"decision\":\"block\"") { fatalError("unexpected reply to \(name): \(reply)") }
        }
        modes.append(HookMode(name: name, trips: trips, handled: await timed.take()))
    }
    return modes
}

func printModes(_ modes: [HookMode]) {
    for (index, mode) in modes.enumerated() {
        print(String(format: "| %@ round trip, p50 (ms) | %.1f | |", mode.name, percentile(mode.trips, 0.50)))
        print(String(format: "| the same, p99 (ms) | %.1f | %@ |", percentile(mode.trips, 0.99), index == 0 ? "under 5 (the default)" : ""))
        print(String(format: "| the same for the 70%% of Stops with the target unchanged, p50 / p99 (ms) | %.1f / %.1f | |",
                     percentile(mode.plainTrips, 0.50), percentile(mode.plainTrips, 0.99)))
        print(String(format: "| server handling of those Stops (next task; target unchanged), p50 / p99 (ms) | %.2f / %.2f | p99 under 1 |",
                     percentile(mode.handling, 0.50), percentile(mode.handling, 0.99)))
        print(String(format: "| server handling of those that first merge the moved target in, p50 / p99 (ms) | %.2f / %.2f | |",
                     percentile(mode.merging, 0.50), percentile(mode.merging, 0.99)))
    }
}
