import Foundation
import Logging
import OrchCore
import Testing
import TestSupport
@testable import OrchServer

/// What a hostile container can do to the endpoint with tokens and
/// connections: never act as someone else, never hold the server.
@Suite struct HTTPLimitsTests {
    static let stop = Array(#"{"session_id": "s", "hook_event_name": "Stop", "stop_hook_active": false, "instance": "manager"}"#.utf8)

    @Test func aTokenActsOnlyAsItsOwnInstanceAndTheOperatorsOnlyReadsStatus() async throws {
        let dir = ScratchDirectory()
        let receiver = try await RunningReceiver.start(in: dir, status: { Data(#"{"server": "running"}"#.utf8) })
        try await withCleanup {
            // The body names the manager; the token is worker-1's: the event is worker-1's.
            _ = await receiver.client(.worker(1)).send(event: "Stop", body: Self.stop)
            #expect(await receiver.handler.received.events.map(\.instance) == [.worker(1)])
            let operatorToken = try #require(InstanceTokens.operatorToken(inFile: dir("run", "tokens.json")))
            #expect(await receiver.client(token: operatorToken).send(event: "Stop", body: Self.stop).status == 403)
            #expect(await receiver.client(token: operatorToken).get("/status") == .reply(status: 200, body: #"{"server": "running"}"#))
            #expect(await receiver.client(.worker(2)).get("/status").status == 200)
            #expect(await receiver.client(token: "").get("/status").status == 401)
            // One character off, or a token's prefix: unknown.
            let token = receiver.tokens.token(for: .worker(2))!
            #expect(await receiver.client(token: String(token.dropLast()) + (token.last == "0" ? "1" : "0")).send(event: "Stop", body: Self.stop).status == 401)
            #expect(await receiver.client(token: String(token.prefix(32))).send(event: "Stop", body: Self.stop).status == 401)
            #expect(await receiver.handler.received.events.count == 1)
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func tokensAreComparedInFull() {
        let tokens = InstanceTokens([.worker(1): String(repeating: "a", count: 64)], operatorToken: String(repeating: "b", count: 64))
        #expect(tokens.caller(for: String(repeating: "a", count: 64)) == .instance(.worker(1)))
        #expect(tokens.caller(for: String(repeating: "b", count: 64)) == .operator)
        #expect(tokens.caller(for: String(repeating: "a", count: 63)) == nil)
        #expect(tokens.caller(for: String(repeating: "a", count: 65)) == nil)
        #expect(tokens.instance(for: String(repeating: "b", count: 64)) == nil)
    }

    @Test func idleAndSlowClientsAreDroppedAndTheServerGoesOn() async throws {
        let dir = ScratchDirectory()
        let limits = HTTPLimits(idleTimeout: .seconds(1), requestTimeout: .seconds(2))
        let receiver = try await RunningReceiver.start(in: dir, limits: limits)
        try await withCleanup {
            let port = receiver.endpoint.port
            // Connected and silent; half a request head; a head then a body trickled a byte at a time.
            async let silent = onOwnThread { try RawSocket.secondsUntilClosed(after: [], toPort: port, patience: 8) }
            async let halfHead = onOwnThread { try RawSocket.secondsUntilClosed(after: Array("POST /hook/Stop HTTP/1.1\r\nHost: x\r\n".utf8), toPort: port, patience: 8) }
            let head = "POST /hook/Stop HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(receiver.tokens.token(for: .worker(1))!)\r\nContent-Length: 100000\r\n\r\n{"
            async let trickled = onOwnThread { try RawSocket.secondsUntilClosed(after: Array(head.utf8), toPort: port, trickle: 0.3, patience: 10) }
            for (name, seconds) in [("silent", try await silent), ("half a head", try await halfHead), ("trickled body", try await trickled)] {
                #expect(seconds != nil, "\(name): still open")
                #expect((seconds ?? 99) < 6, "\(name): closed only after \(seconds ?? 99) s")
            }
            let after = await receiver.client(.worker(1)).send(event: "Stop", body: Self.stop)
            #expect(after.status == 200, "\(after)")
            #expect(await receiver.handler.received.events.count == 1, "the trickled request never reached the handler")
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func connectionsOverTheCapWaitUntilOthersEnd() async throws {
        let dir = ScratchDirectory()
        // Room for a busy machine: the holders may take a second or more to connect, and hold the cap for 6 s from then.
        let limits = HTTPLimits(maximumConnections: 2, idleTimeout: .seconds(6))
        let receiver = try await RunningReceiver.start(in: dir, limits: limits)
        try await withCleanup {
            let port = receiver.endpoint.port
            let holders = (0..<2).map { _ in Task { try await onOwnThread { try RawSocket.secondsUntilClosed(after: [], toPort: port, patience: 15) } } }
            try await Task.sleep(for: .seconds(2))
            let blocked = await receiver.client(.worker(1), timeout: .seconds(1)).send(event: "Stop", body: Self.stop)
            #expect(blocked.status == nil, "a third connection was served while two held the cap: \(blocked)")
            for holder in holders { _ = try await holder.value }
            #expect(await receiver.client(.worker(1), timeout: .seconds(5)).send(event: "Stop", body: Self.stop).status == 200)
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func theDashboardAnswersOnlyToLoopbackNames() {
        #expect(Dashboard.isLoopback("127.0.0.1:7420"))
        #expect(Dashboard.isLoopback("localhost:7420"))
        #expect(Dashboard.isLoopback("[::1]:7420"))
        #expect(!Dashboard.isLoopback("evil.example:7420"))
        #expect(!Dashboard.isLoopback("127.0.0.1.evil.example"))
        #expect(!Dashboard.isLoopback(nil))
    }
}

extension HookClient.Outcome {
    /// The reply's status, nil when there was none.
    var status: Int? {
        if case .reply(let status, _) = self { return status }
        return nil
    }
}

@Suite struct DashboardHostTests {
    @Test func theDashboardServesLoopbackAndRefusesOtherHosts() async throws {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Dashboard(port: 0, status: { Data("{}".utf8) }, limits: .forTests, logger: .quiet).application(onRunning: { port in
            continuation.yield(port)
            continuation.finish()
        })
        let task = Task { try await app.run() }
        defer { task.cancel() }
        var bound = 0
        for await value in ports { bound = value }
        let port = bound
        let page = await HookClient(endpoint: ChannelAddress(host: "127.0.0.1", port: port), token: "", timeout: .seconds(30)).get("/status")
        #expect(page == .reply(status: 200, body: "{}"), "\(page)")
        let raw = try await onOwnThread {
            try RawSocket.exchange(Array("GET /status HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".utf8), toPort: port)
        }
        #expect(raw.hasPrefix("HTTP/1.1 421"), "\(raw.prefix(200))")
    }
}
