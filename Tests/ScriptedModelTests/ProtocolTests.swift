import Foundation
import ScriptedModel
import Testing
import TestSupport

/// The scripted model's wire behaviour, seen by curl.
@Suite struct ProtocolTests {
    func post(_ server: ScriptedModelServer, key: String, body: String, path: String = "/v1/messages", maxTime: Int = 30) async throws -> CommandResult {
        try await runDetached("curl", ["-sS", "-N", "--max-time", String(maxTime), "-D", "-", "-H", "x-api-key: \(key)",
                                       "-H", "content-type: application/json", "-d", body, server.baseURL + path])
    }

    static let withTools = #"{"stream": true, "tools": [{"name": "Bash"}], "messages": [{"role": "user", "content": "go"}]}"#

    @Test func stepsFollowTheAssistantTurnsAndSideRequestsGetText() async throws {
        let server = try await ScriptedModelServer.start(ModelScript(["k": [.bash("ls"), .text("Second.")]], finally: .text("Last.")))
        try await withCleanup {
            let first = try await post(server, key: "k", body: Self.withTools)
            #expect(first.stdout.contains("event: message_start"))
            #expect(first.stdout.contains(#""name":"Bash""#))
            #expect(first.stdout.contains(#"\"command\":\"ls\""#))
            #expect(first.stdout.contains(#""stop_reason":"tool_use""#))
            let second = try await post(server, key: "k", body: #"{"stream": true, "tools": [{}], "messages": [{"role": "user", "content": "go"}, {"role": "assistant", "content": "x"}, {"role": "user", "content": "y"}]}"#)
            #expect(second.stdout.contains(#""text":"Second.""#))
            let beyond = try await post(server, key: "k", body: #"{"stream": true, "tools": [{}], "messages": [{"role": "assistant"}, {"role": "assistant"}, {"role": "assistant"}]}"#)
            #expect(beyond.stdout.contains("Last."))
            let side = try await post(server, key: "k", body: #"{"messages": [{"role": "user", "content": "title?"}]}"#)
            #expect(side.stdout.contains(#""type":"message""#) && side.stdout.contains("Scripted."))
            let count = try await post(server, key: "k", body: "{}", path: "/v1/messages/count_tokens")
            #expect(count.stdout.contains(#"{"input_tokens": 12}"#))
            #expect(await server.requests().map(\.step) == [.bash("ls"), .text("Second."), .text("Last."), .text("Scripted.")])
        } cleanup: { await server.stop() }
    }

    @Test func rateLimitHangAndDrop() async throws {
        let server = try await ScriptedModelServer.start(ModelScript(["limited": [.rateLimit(resetAt: 1_900_000_000)], "slow": [.hang], "flaky": [.dropConnection]]))
        try await withCleanup {
            let limited = try await post(server, key: "limited", body: Self.withTools)
            #expect(limited.stdout.hasPrefix("HTTP/1.1 429"))
            #expect(limited.stdout.lowercased().contains("anthropic-ratelimit-unified-reset: 1900000000"))
            #expect(limited.stdout.lowercased().contains("x-should-retry: false"))
            #expect(limited.stdout.contains("rate_limit_error"))
            let slow = try await post(server, key: "slow", body: Self.withTools, maxTime: 1)
            #expect(slow.status == 28, "curl's time-out")
            let flaky = try await post(server, key: "flaky", body: Self.withTools)
            #expect(flaky.stdout.contains("message_start"))
            #expect(!flaky.stdout.contains("message_stop"))
            #expect(flaky.status != 0, "the connection ends before the stream does")
        } cleanup: { await server.stop() }
    }

    @Test func aKeysReportedUtilisationRidesOnEveryAnswer() async throws {
        let server = try await ScriptedModelServer.start(ModelScript(["watched": [.text("one"), .text("two")], "other": [.text("x")]]))
        try await withCleanup {
            await server.report(key: "watched", fiveHour: 0.42, sevenDay: 0.17, resetsAt: 1_900_000_000)
            let watched = try await post(server, key: "watched", body: Self.withTools).stdout.lowercased()
            for header in ["anthropic-ratelimit-unified-5h-utilization: 0.42", "anthropic-ratelimit-unified-7d-utilization: 0.17",
                           "anthropic-ratelimit-unified-5h-reset: 1900000000", "anthropic-ratelimit-unified-status: allowed"] {
                #expect(watched.contains(header), "\(watched.prefix(600))")
            }
            await server.report(key: "watched", fiveHour: 0.96, sevenDay: 0.2, resetsAt: 1_900_000_000)
            #expect(try await post(server, key: "watched", body: Self.withTools).stdout.lowercased().contains("5h-utilization: 0.96"))
            #expect(!(try await post(server, key: "other", body: Self.withTools).stdout.lowercased().contains("utilization")))
        } cleanup: { await server.stop() }
    }
}
