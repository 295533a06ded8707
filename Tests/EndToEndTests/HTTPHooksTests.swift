import Foundation
import GitKit
import OrchCore
import ScriptedModel
import Testing
import TestSupport

/// `"channel": {"hooks": "http"}`: Claude Code posts its events to the endpoint
/// itself (no orch process per event), commits go back from git's own hooks in
/// each clone, and workers take their branch with `orch checkout` as told. The
/// demo's flow, conflict included, finishes with every task merged once.
@Suite(.serialized) struct HTTPHooksTests {
    @Test func theDemoRunsWithClaudeCodesOwnHTTPHooks() async throws {
        let run = try await Run(extraConfig: #", "channel": {"hooks": "http"}"#,
                                rules: [ModelRule(match: "Run `orch checkout` first", bash: "orch checkout")])
        let serve = try run.startServe()
        try await withCleanup {
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 300)
            #expect(finished, "merged: \(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            let repository = try Repository.open(at: run.dir("state", "repo.git"))
            let main = try #require(try repository.branchTip("main"))
            let shared = try #require(try repository.readFile("shared.txt", at: main))
            let text = String(decoding: shared, as: UTF8.self)
            #expect(text.contains("alpha") && text.contains("beta"), "both sides of the conflict: \(text)")

            // The events came over Claude Code's HTTP hooks (but SessionStart, which it sends to commands only).
            let hooks = ServeTests.events(run.dir).filter { ["Stop", "UserPromptSubmit", "SessionStart"].contains($0["event"]) }
            let stops = hooks.filter { $0["event"] == "Stop" }
            #expect(!stops.isEmpty && stops.allSatisfy { $0["via"] == "http" }, "\(stops.prefix(5))")
            #expect(hooks.filter { $0["event"] == "SessionStart" }.allSatisfy { $0["via"] == nil })
            let settings = try String(contentsOfFile: run.dir("state", "managed-settings.json"), encoding: .utf8)
            #expect(settings.contains(#""type" : "http""#) && !settings.contains("sk-ant"), "\(settings)")
            let compose = try String(contentsOfFile: run.dir("state", "compose.yml"), encoding: .utf8)
            #expect(compose.contains(#"managed-settings.json:/etc/claude-code/managed-settings.json:ro""#), "mounted read-only over the image's")
            // Each clone hands its commits back from git's hooks.
            let hook = try String(contentsOfFile: run.dir("state", "worktrees", "worker-1", ".git", "hooks", "post-commit"), encoding: .utf8)
            #expect(hook.contains("checkout --hand-back"), "\(hook)")
            try await run.stop(serve)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }
}

private typealias Run = TaskFlowTests.Run
