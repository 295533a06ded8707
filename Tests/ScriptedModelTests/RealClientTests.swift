import Foundation
import ScriptedModel
import Testing
import TestSupport

/// The real Claude Code client (from the claude-agent-sdk wheel, fetched by
/// scripts/fetch-claude) against the scripted model.
@Suite struct RealClientTests {
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
}
