import Foundation
import GitKit
import Testing
import TestSupport
import OrchCore
import OrchRuntime
import ScriptedModel

/// `orch serve` as a person runs it: real engine, tmux, Claude Code, scripted model.
@Suite(.serialized) struct ServeTests {
    /// The event log's entries.
    static func events(_ dir: ScratchDirectory) -> [[String: String]] {
        guard let text = try? String(contentsOfFile: dir("state", "logs", "events.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
    }

    /// Polls `condition` every 100 ms for up to `seconds`.
    static func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try condition()
    }

    @Test func threeWorkersAndTheManagerCommitSurviveADockerKillAndStopOnSIGTERM() async throws {
        let dir = ScratchDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try Fixtures.repository(at: dir("origin"), files: ["PROJECT_DIRECTION.md": "# Build things\n"])
        let instances = ["manager", "worker-1", "worker-2", "worker-3"]
        var keys: [String: String] = [:]
        var files: [String: String] = [:]
        for (index, instance) in instances.enumerated() {
            keys[instance] = "sk-ant-test-\(instance)-0123456789abcdef"
            files["creds/\(index).json"] = #"{"env": {"ANTHROPIC_API_KEY": "\#(keys[instance]!)"}}"#
        }
        try Fixtures.write(files, in: dir.path)
        var script: [String: [ModelStep]] = [:]
        for (instance, key) in keys {
            script[key] = [.bash("echo \(instance) > \(instance).txt && git add \(instance).txt && git -c user.name=\(instance) -c user.email=o@x commit -qm 'First commit of \(instance)'"), .text("Ready.")]
        }
        let server = try await ScriptedModelServer.start(ModelScript(script, finally: .text("Resumed.")))
        try Fixtures.write(["config/orchestrator.json": """
            // test config
            {"repositoryUrl": "\(dir("origin"))", "workerCount": 3, "claudeConfigs": "\(dir("creds"))/*.json",
             "image": "orch-claude-test:latest", "network": "host", "env": {"ANTHROPIC_BASE_URL": "\(server.baseURL)"},
             "health": {"checkSeconds": 0.5, "backoffSeconds": 0.5}}
            """], in: dir.path)

        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: orchExecutable)
        serve.arguments = ["serve", "--config", dir("config"), "--state", dir("state")]
        let output = dir("serve.out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        serve.standardOutput = FileHandle(forWritingAtPath: output)
        serve.standardError = FileHandle(forWritingAtPath: output)
        try serve.run()
        let project = Fleet.projectName(for: StateLayout(root: dir("state")))
        try await withCleanup {
            // Each instance runs its first prompt, which commits in its own worktree, and its hooks reach the server.
            var committed: Set<String> = []
            let allCommitted = try await Self.waitUntil(90) {
                guard let repo = try? Repository.open(at: dir("state", "repo.git")) else { return false }
                for instance in instances {
                    if let tip = try? repo.branchTip("orch/\(instance)"), let main = try repo.branchTip("main"),
                       try !repo.commits(from: tip, excluding: main).isEmpty {
                        committed.insert(instance)
                    }
                }
                return committed.count == instances.count
            }
            #expect(allCommitted, "committed: \(committed)")
            for instance in instances {
                #expect(FileManager.default.fileExists(atPath: dir("state", "worktrees", instance, "\(instance).txt")))
            }
            let started = try await Self.waitUntil(30) {
                Set(Self.events(dir).filter { $0["event"] == "Stop" }.compactMap { $0["instance"] }) == Set(instances)
            }
            #expect(started, "every instance's SessionStart and Stop hooks reach the server: \(Self.events(dir))")
            let firstSession = Self.events(dir).first { $0["event"] == "SessionStart" && $0["instance"] == "worker-2" }?["session_id"]

            // Kill worker-2's container: it is restarted and resumes its conversation.
            _ = try await runDetached("docker", ["kill", "\(project)-worker-2"])
            let resumed = try await Self.waitUntil(60) {
                Self.events(dir).contains { $0["event"] == "SessionStart" && $0["instance"] == "worker-2" && $0["source"] == "resume" }
            }
            #expect(resumed, "worker-2 resumed: \(Self.events(dir).filter { $0["instance"] == "worker-2" })")
            let restart = Self.events(dir).first { $0["event"] == "restart" && $0["instance"] == "worker-2" }
            #expect(restart?["reason"]?.hasPrefix("its container exited") == true, "\(String(describing: restart))")
            #expect(restart?["session_id"] == firstSession && firstSession != nil)
            let resumedSession = Self.events(dir).last { $0["event"] == "SessionStart" && $0["instance"] == "worker-2" }?["session_id"]
            #expect(resumedSession == firstSession, "the same conversation goes on")

            let stopping = Date()
            kill(serve.processIdentifier, SIGTERM)
            while serve.isRunning && Date().timeIntervalSince(stopping) < 15 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!serve.isRunning, "orch serve did not stop")
            #expect(Date().timeIntervalSince(stopping) < 10)
            #expect(serve.terminationStatus == 0, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            let containers = try run("docker", ["ps", "-a", "--format", "{{.Names}}"]).stdout.split(separator: "\n")
            #expect(!containers.contains { $0.hasPrefix(project) }, "\(containers)")
            #expect(try run("tmux", ["-L", project, "list-sessions"]).status != 0, "no tmux session is left")
            for instance in instances {
                #expect(FileManager.default.fileExists(atPath: dir("state", "worktrees", instance, "\(instance).txt")), "worktrees stay")
            }
        } cleanup: {
            if serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
            _ = try? run("tmux", ["-L", project, "kill-server"])
            _ = try? run("docker", ["rm", "-f"] + instances.map { "\(project)-\($0)" })
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
