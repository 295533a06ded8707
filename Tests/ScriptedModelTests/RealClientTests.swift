import Foundation
import ScriptedModel
import Testing
import TestSupport

/// The real Claude Code client (from the claude-agent-sdk wheel, fetched by
/// scripts/fetch-claude) against the scripted model.
// One client at a time: each takes a core for a second or more to start, and the rest of the suite shares two.
@Suite(.serialized) struct RealClientTests {
    func claude(_ prompt: String, key: String, server: ScriptedModelServer, in directory: String, home: String) async throws -> CommandResult {
        let binary = try #require(claudeExecutable, "run scripts/fetch-claude (scripts/test does) or set ORCH_CLAUDE")
        return try await runDetached(binary, ["-p", prompt, "--allowedTools", "Bash"], in: directory, environment: gitEnvironment.merging([
            "HOME": home, "ANTHROPIC_BASE_URL": server.baseURL, "ANTHROPIC_API_KEY": key,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_MAX_RETRIES": "0",
        ]) { $1 })
    }

    @Test func theClientRunsTheScriptedCommandAndCommits() async throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        try FileManager.default.createDirectory(atPath: dir("home"), withIntermediateDirectories: true)
        let server = try await ScriptedModelServer.start(ModelScript([
            "sk-ant-test-one": [
                .bash("echo scripted > made.txt && git add made.txt && git commit -qm 'Make the file' -m 'Orch-Task: T-0001'"),
                .text("Committed the file."),
            ],
        ]))
        let result = try await withCleanup {
            try await claude("Do task T-0001", key: "sk-ant-test-one", server: server, in: dir("repo"), home: dir("home"))
        } cleanup: { await server.stop() }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Committed the file."))
        #expect(try git("log", "-1", "--format=%s%n%(trailers:key=Orch-Task,valueonly)", in: dir("repo")) == "Make the file\nT-0001")
        #expect(try String(contentsOfFile: dir("repo", "made.txt"), encoding: .utf8) == "scripted\n")
    }

    @Test func aRateLimitedKeyMakesTheClientStop() async throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        try FileManager.default.createDirectory(atPath: dir("home"), withIntermediateDirectories: true)
        let reset = Int(Date().timeIntervalSince1970) + 3600
        let server = try await ScriptedModelServer.start(ModelScript(["sk-ant-test-limited": [.rateLimit(resetAt: reset)]]))
        let result = try await withCleanup {
            try await claude("Do anything", key: "sk-ant-test-limited", server: server, in: dir("repo"), home: dir("home"))
        } cleanup: { await server.stop() }
        #expect(result.status != 0)
        let said = result.stdout + result.stderr
        #expect(said.contains("429") || said.lowercased().contains("limit"), "\(said)")
        #expect(await server.requests().contains { $0.step == .rateLimit(resetAt: reset) })
    }

    /// docs/usage-signals.md, checked on the real client: the windows' utilisation the API reports reaches the outside
    /// (here `-p --output-format stream-json`'s rate_limit_event) for a subscription login, never for an API key.
    @Test(arguments: ["apiKey", "oauthToken", "oauth"]) func utilisationReachesTheClientsOutputOnlyForASubscriptionLogin(_ kind: String) async throws {
        let binary = try #require(claudeExecutable, "run scripts/fetch-claude (scripts/test does) or set ORCH_CLAUDE")
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let key = "sk-ant-\(kind)-\(UUID().uuidString.prefix(8))"
        var environment = ["HOME": dir("home"), "ANTHROPIC_BASE_URL": "", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                           "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_MAX_RETRIES": "0"]
        switch kind {
        case "apiKey": environment["ANTHROPIC_API_KEY"] = key
        case "oauthToken": environment["CLAUDE_CODE_OAUTH_TOKEN"] = key
        default:
            try Fixtures.write([".claude/.credentials.json": #"{"claudeAiOauth": {"accessToken": "\#(key)", "refreshToken": "rt", "expiresAt": 4102444800000, "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}}"#], in: dir("home"))
        }
        let server = try await ScriptedModelServer.start(ModelScript([key: [.text("Hello.")]]))
        environment["ANTHROPIC_BASE_URL"] = server.baseURL
        await server.report(key: key, fiveHour: 0.42, sevenDay: 0.17, resetsAt: Int(Date().timeIntervalSince1970) + 3600)
        let result = try await withCleanup {
            try await runDetached(binary, ["-p", "hi", "--output-format", "stream-json", "--verbose"], in: dir("repo"),
                                  environment: gitEnvironment.merging(environment) { $1 })
        } cleanup: { await server.stop() }
        #expect(result.status == 0 && result.stdout.contains("Hello."), "\(result.stderr)\(result.stdout.suffix(800))")
        let reported = result.stdout.split(separator: "\n").contains { $0.contains("rate_limit_event") && $0.contains("0.42") }
        #expect(reported == (kind != "apiKey"), "\(kind): \(result.stdout.split(separator: "\n").filter { $0.contains("rate_limit") })")
    }
}
