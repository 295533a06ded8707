import Foundation
import GitKit
import Testing
import TestSupport
import ScriptedModel

/// `orch serve` as a person runs it: real engine, tmux, Claude Code, scripted model.
@Suite(.serialized) struct ServeTests {
    @Test func serveStartsEveryInstanceWhichCommitsAndSIGTERMStopsThemAll() async throws {
        let dir = ScratchDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try Fixtures.repository(at: dir("origin"), files: ["PROJECT_DIRECTION.md": "# Build things\n"])
        let keys = ["manager": "sk-ant-test-manager-0123456789abcdef", "worker-1": "sk-ant-test-worker1-0123456789abcdef"]
        try Fixtures.write([
            "creds/a.json": #"{"env": {"ANTHROPIC_API_KEY": "\#(keys["manager"]!)"}}"#,
            "creds/b.json": #"{"env": {"ANTHROPIC_API_KEY": "\#(keys["worker-1"]!)"}}"#,
        ], in: dir.path)
        var script: [String: [ModelStep]] = [:]
        for (instance, key) in keys {
            script[key] = [.bash("echo \(instance) > \(instance).txt && git add \(instance).txt && git -c user.name=\(instance) -c user.email=o@x commit -qm 'First commit of \(instance)'"), .text("Ready.")]
        }
        let server = try await ScriptedModelServer.start(ModelScript(script))
        try Fixtures.write(["config/orchestrator.json": """
            // test config
            {"repositoryUrl": "\(dir("origin"))", "workerCount": 1, "claudeConfigs": "\(dir("creds"))/*.json",
             "image": "orch-claude-test:latest", "network": "host", "env": {"ANTHROPIC_BASE_URL": "\(server.baseURL)"}}
            """], in: dir.path)

        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: orchExecutable)
        serve.arguments = ["serve", "--config", dir("config"), "--state", dir("state")]
        let out = Pipe()
        serve.standardOutput = out
        serve.standardError = out
        try serve.run()
        try await withCleanup {
            var committed: Set<String> = []
            for _ in 0..<150 where committed.count < 2 {
                guard let repo = try? Repository.open(at: dir("state", "repo.git")) else {
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                for branch in ["orch/manager", "orch/worker-1"] {
                    if let tip = try? repo.branchTip(branch), let main = try repo.branchTip("main"),
                       try !repo.commits(from: tip, excluding: main).isEmpty {
                        committed.insert(branch)
                    }
                }
                if committed.count < 2 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(committed == ["orch/manager", "orch/worker-1"])

            let started = Date()
            kill(serve.processIdentifier, SIGTERM)
            while serve.isRunning && Date().timeIntervalSince(started) < 15 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!serve.isRunning, "orch serve did not stop")
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(serve.terminationStatus == 0)
            // Other suites' containers (orche2e…, orchtest…) may be running meanwhile.
            let containers = try run("docker", ["ps", "-a", "--format", "{{.Names}}"]).stdout.split(separator: "\n")
                .filter { !$0.hasPrefix("orche2e") && !$0.hasPrefix("orchtest") }
            #expect(!containers.contains { $0.hasSuffix("-manager") || $0.hasSuffix("-worker-1") }, "\(containers)")
            #expect(FileManager.default.fileExists(atPath: dir("state", "worktrees", "worker-1", "worker-1.txt")), "worktrees stay")
        } cleanup: {
            if serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
            await server.stop()
        }
    }

    @Test func aBadConfigExitsTwoAndStartsNothing() throws {
        let dir = ScratchDirectory()
        try Fixtures.write(["config/orchestrator.json": #"{"repositoryUrl": "/x", "workerCount": 0, "claudeConfigs": "/none/*"}"#], in: dir.path)
        let result = try run(orchExecutable, ["serve", "--config", dir("config"), "--state", dir("state")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("orchestrator.json: field workerCount"))
        #expect(!FileManager.default.fileExists(atPath: dir("state")))
    }
}
