import Foundation
import Logging
import OrchCore
import OrchRuntime
import Testing
import TestSupport
@testable import OrchServer

/// Records what reached the handler.
actor Received {
    var events: [HookEvent] = []
    func add(_ event: HookEvent) { events.append(event) }
}

struct RecordingHandler: HookHandler {
    let received = Received()
    func handle(_ event: HookEvent) async -> HookReply {
        await received.add(event)
        return event.name == .stop ? .block("Next: T-0002\nOrch-Task: T-0002") : .none
    }
}

extension HTTPLimits {
    static let forTests = HTTPLimits(idleTimeout: .seconds(60), requestTimeout: .seconds(60))
}

/// A receiver on a loopback port, its tokens in a scratch directory, stopped by `stop()`.
struct RunningReceiver {
    let endpoint: ChannelAddress
    let tokens: InstanceTokens
    let handler: RecordingHandler
    let task: Task<Void, any Error>

    /// - Parameters:
    ///   - port: 0 for any free one.
    /// The limits default to generous timeouts: with every suite at once on two cores this process starves its own
    /// event loops for seconds, and a test that is not about the limits must not trip them. HTTPLimitsTests passes its own.
    static func start(in dir: ScratchDirectory, events: EventLog? = nil, port: Int = 0, limits: HTTPLimits = .forTests,
                      status: (@Sendable () async -> Data)? = nil, git: GitHTTPBackend? = nil,
                      commands: ManagerCommands? = nil, mirror: (@Sendable (InstanceName) async -> String?)? = nil) async throws -> RunningReceiver {
        let tokens = try InstanceTokens.loadOrCreate(file: dir("run", "tokens.json"), instances: InstanceName.all(workerCount: 2))
        let handler = RecordingHandler()
        let (listening, continuation) = AsyncStream<Int>.makeStream()
        let app = HookReceiver(address: ChannelAddress(host: "127.0.0.1", port: port), tokens: tokens, handler: handler, events: events,
                               status: status, git: git, commands: commands, mirror: mirror, limits: limits, logger: .quiet)
            .application(onRunning: { bound in
                continuation.yield(bound)
                continuation.finish()
            })
        let task = Task { try await app.run() }
        var bound = 0
        for await port in listening { bound = port }
        return RunningReceiver(endpoint: ChannelAddress(host: "127.0.0.1", port: bound), tokens: tokens, handler: handler, task: task)
    }

    // Generous: with every suite running at once on two cores a first answer has taken over 5 s (a CI flake).
    // The tests that are about timeouts pass their own.
    func client(_ instance: InstanceName, timeout: Duration = .seconds(30)) -> HookClient {
        HookClient(endpoint: endpoint, token: tokens.token(for: instance)!, timeout: timeout)
    }

    func client(token: String, timeout: Duration = .seconds(30)) -> HookClient {
        HookClient(endpoint: endpoint, token: token, timeout: timeout)
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

@Suite struct HookReceiverTests {
    static let sessionStart = Array(#"{"session_id": "0d6f7c52-1111-4222-8333-444455556666", "transcript_path": "/h/t.jsonl", "cwd": "/w", "hook_event_name": "SessionStart", "source": "startup"}"#.utf8)

    @Test func aValidEventReachesTheHandlerAsTheTokensInstanceAndTheReplyComesBack() async throws {
        let dir = ScratchDirectory()
        let events = try EventLog(file: dir("logs", "events.jsonl"))
        let receiver = try await RunningReceiver.start(in: dir, events: events)
        try await withCleanup {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir("run", "tokens.json"))
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            #expect(await receiver.client(.worker(2)).send(event: "SessionStart", body: Self.sessionStart) == .reply(status: 200, body: ""))
            let stop = Array(#"{"session_id": "x", "hook_event_name": "Stop", "stop_hook_active": false, "last_assistant_message": "secret-ish text"}"#.utf8)
            guard case .reply(200, let body) = await receiver.client(.manager).send(event: "Stop", body: stop) else {
                Issue.record("no reply to Stop")
                return
            }
            let reply = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
            #expect(reply == ["decision": "block", "reason": "Next: T-0002\nOrch-Task: T-0002"])

            let received = await receiver.handler.received.events
            #expect(received.map(\.instance) == [.worker(2), .manager])
            #expect(received.first?.source == "startup")
            #expect(received.first?.sessionID == "0d6f7c52-1111-4222-8333-444455556666")
            let log = try String(contentsOfFile: dir("logs", "events.jsonl"), encoding: .utf8)
            #expect(log.contains(#""event":"SessionStart""#) && log.contains(#""instance":"worker-2""#))
            #expect(!log.contains("secret-ish"), "the event log keeps ids and kinds, not text")
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func badTokensBadBodiesAndUnknownEventsAreRefusedOrIgnored() async throws {
        let dir = ScratchDirectory()
        let receiver = try await RunningReceiver.start(in: dir)
        try await withCleanup {
            let wrongToken = receiver.client(token: String(repeating: "a", count: 64))
            #expect(await wrongToken.send(event: "Stop", body: Self.sessionStart) == .reply(status: 401, body: "missing or unknown token\n"))
            let noToken = receiver.client(token: "")
            #expect(await noToken.send(event: "Stop", body: Self.sessionStart) == .reply(status: 401, body: "missing or unknown token\n"))

            let worker = receiver.client(.worker(1))
            #expect(await worker.send(event: "Stop", body: Array("{not json".utf8)) == .reply(status: 400, body: "the body is not valid JSON\n"))
            #expect(await worker.send(event: "Stop", body: Array("[1, 2]".utf8)) == .reply(status: 400, body: "the body is an array, not a JSON object\n"))
            let huge = Array(("{\"pad\": \"" + String(repeating: "x", count: HookReceiver.maximumBody) + "\"}").utf8)
            guard case .reply(413, _) = await worker.send(event: "Stop", body: huge) else {
                Issue.record("a body over 1 MiB is not refused with 413")
                return
            }
            #expect(await worker.send(event: "PreCompactSomething", body: Self.sessionStart) == .reply(status: 200, body: ""))
            #expect(await receiver.handler.received.events.isEmpty, "nothing refused or unknown reaches the handler")
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func noServerOrAStalledOneMeansUnreachableWithinTheTimeout() async throws {
        let dir = ScratchDirectory()
        let missing = HookClient(endpoint: ChannelAddress(host: "127.0.0.1", port: try RawSocket.freePort()), token: "t", timeout: .seconds(2))
        guard case .unreachable = await missing.send(event: "Stop", body: Self.sessionStart) else {
            Issue.record("a port nothing listens on is not unreachable")
            return
        }
        // A socket that listens but never accepts: the request sits in the backlog.
        let stalled = try ListeningSocket()
        defer { stalled.close() }
        let started = ContinuousClock.now
        guard case .unreachable = await HookClient(endpoint: ChannelAddress(host: "127.0.0.1", port: stalled.port), token: "t", timeout: .seconds(1))
            .send(event: "Stop", body: Self.sessionStart) else {
            Issue.record("a stalled server is not unreachable")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(15), "a 1 s timeout is kept (loosely: the machine may be busy)")
    }

    @Test func tenThousandRandomAndMutatedPayloadsLeaveItAnswering() async throws {
        let dir = ScratchDirectory()
        let receiver = try await RunningReceiver.start(in: dir)
        try await withCleanup {
            var generator = SeededGenerator(seed: 0x5eed)
            let valid = Self.sessionStart
            let names = HookEventName.allCases.map(\.rawValue) + ["", "Stop/../x", "%00", String(repeating: "E", count: 300)]
            var built: [(event: String, token: String?, body: [UInt8])] = []
            for index in 0..<9_000 {
                var body = valid
                switch index % 4 {
                case 0: // random bytes
                    body = (0..<Int.random(in: 0...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                case 1: // flipped bytes
                    for _ in 0..<Int.random(in: 1...8, using: &generator) {
                        body[Int.random(in: 0..<body.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                case 2: // truncated
                    body = Array(body.prefix(Int.random(in: 0..<body.count, using: &generator)))
                default: // deep nesting, odd types
                    let depth = Int.random(in: 1...2_000, using: &generator)
                    body = Array((String(repeating: "[", count: depth) + "{\"session_id\": 5, \"source\": null}" + String(repeating: "]", count: depth / 2)).utf8)
                }
                let token: String? = index % 3 == 0 ? nil : receiver.tokens.token(for: .worker(1 + index % 2))
                built.append((names[Int.random(in: 0..<names.count, using: &generator)], token, body))
            }
            let payloads = built
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        for index in stride(from: lane, to: payloads.count, by: 8) {
                            let payload = payloads[index]
                            let client = receiver.client(token: payload.token ?? "", timeout: .seconds(10))
                            if case .unreachable(let why) = await client.send(event: payload.event, body: payload.body) {
                                Issue.record("payload \(index) got no answer: \(why)")
                            }
                        }
                    }
                }
                // Raw garbage below HTTP: bytes that are not a request at all.
                group.addTask {
                    var raw = SeededGenerator(seed: 7)
                    for _ in 0..<1_000 {
                        let bytes = (0..<Int.random(in: 1...600, using: &raw)).map { _ in UInt8.random(in: 0...255, using: &raw) }
                        try await onOwnThread { try RawSocket.send(bytes, toPort: receiver.endpoint.port) }
                    }
                }
                try await group.waitForAll()
            }
            #expect(await receiver.client(.worker(1)).send(event: "SessionStart", body: valid) == .reply(status: 200, body: ""))
        } cleanup: {
            await receiver.stop()
        }
    }
}

extension Logger {
    /// A logger for tests: only what would stop a server.
    static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}

/// A deterministic generator, so a failing payload can be found again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
