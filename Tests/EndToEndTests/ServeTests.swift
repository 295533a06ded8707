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

    @Test func threeWorkersAndTheManagerCommitSurviveDockerKillAndAKilledClaudeStopOnSIGTERMAndResumeInTheNextServe() async throws {
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

        func startServe() throws -> Process {
            let serve = Process()
            serve.executableURL = URL(fileURLWithPath: orchExecutable)
            serve.arguments = ["serve", "--config", dir("config"), "--state", dir("state")]
            let output = FileHandle(forUpdatingAtPath: dir("serve.out")) ?? {
                _ = FileManager.default.createFile(atPath: dir("serve.out"), contents: nil)
                return FileHandle(forUpdatingAtPath: dir("serve.out"))!
            }()
            output.seekToEndOfFile()
            serve.standardOutput = output
            serve.standardError = output
            try serve.run()
            return serve
        }
        func stopServe(_ serve: Process) async throws {
            let stopping = Date()
            kill(serve.processIdentifier, SIGTERM)
            while serve.isRunning && Date().timeIntervalSince(stopping) < 15 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!serve.isRunning, "orch serve did not stop")
            #expect(Date().timeIntervalSince(stopping) < 10)
            #expect(serve.terminationStatus == 0, "\((try? String(contentsOfFile: dir("serve.out"), encoding: .utf8)) ?? "")")
        }
        var serve = try startServe()
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
            // Orch's hooks cannot be edited from inside, and no container can reach the Docker engine.
            let compose = try String(contentsOfFile: dir("state", "compose.yml"), encoding: .utf8)
            for instance in instances {
                #expect(compose.contains("\(dir("state", "homes", instance, ".claude", "settings.json")):ro"), "\(compose)")
            }
            #expect(!compose.contains("docker.sock"))
            let write = try await runDetached("docker", ["exec", "\(project)-worker-1", "sh", "-c", "echo {} > \"$HOME/.claude/settings.json\""])
            #expect(write.status != 0, "settings.json is writable inside the container")

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

            // Kill Claude itself inside worker-3's live container: the container ends with it, and it is restarted and resumed.
            let killed = try await runDetached("docker", ["exec", "\(project)-worker-3", "pkill", "-KILL", "-x", "claude"])
            #expect(killed.status == 0, "\(killed.stderr)")
            let worker3Resumed = try await Self.waitUntil(60) {
                Self.events(dir).contains { $0["event"] == "SessionStart" && $0["instance"] == "worker-3" && $0["source"] == "resume" }
            }
            #expect(worker3Resumed, "worker-3 resumed: \(Self.events(dir).filter { $0["instance"] == "worker-3" })")

            try await stopServe(serve)
            let containers = try run("docker", ["ps", "-a", "--format", "{{.Names}}"]).stdout.split(separator: "\n")
            #expect(!containers.contains { $0.hasPrefix(project) }, "\(containers)")
            #expect(try run("tmux", ["-L", project, "list-sessions"]).status != 0, "no tmux session is left")
            for instance in instances {
                #expect(FileManager.default.fileExists(atPath: dir("state", "worktrees", instance, "\(instance).txt")), "worktrees stay")
            }

            // A later serve resumes every conversation.
            let before = Self.events(dir).count
            serve = try startServe()
            let allResumed = try await Self.waitUntil(60) {
                Set(Self.events(dir).dropFirst(before).filter { $0["event"] == "SessionStart" && $0["source"] == "resume" }.compactMap { $0["instance"] })
                    == Set(instances)
            }
            #expect(allResumed, "\(Self.events(dir).dropFirst(before))")
            let sessions = Self.events(dir).dropFirst(before).filter { $0["event"] == "SessionStart" && $0["instance"] == "worker-2" }.map { $0["session_id"] }
            #expect(sessions == [firstSession])
            try await stopServe(serve)
        } cleanup: {
            if serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
            _ = try? run("tmux", ["-L", project, "kill-server"])
            _ = try? run("docker", ["rm", "-f"] + instances.map { "\(project)-\($0)" })
            await server.stop()
        }
    }

    /// A config directory and credentials that `orch serve` accepts, for the error cases to break one thing each.
    static func validSetup(_ dir: ScratchDirectory, direction: Bool = true) throws -> [String: String] {
        try Fixtures.repository(at: dir("origin"), files: direction ? ["PROJECT_DIRECTION.md": "# Build things\n"] : ["README.md": "hi\n"])
        try Fixtures.write([
            "creds/a.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-secret-aaaaaaaaaaaaaaaaaaaa"}}"#,
            "creds/b.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-secret-bbbbbbbbbbbbbbbbbbbb"}}"#,
        ], in: dir.path)
        return ["repositoryUrl": "\"\(dir("origin"))\"", "workerCount": "1", "claudeConfigs": "\"\(dir("creds"))/*.json\"",
                "image": "\"orch-claude-test:latest\""]
    }

    static func serve(_ dir: ScratchDirectory, _ fields: [String: String], environment: [String: String] = [:]) throws -> CommandResult {
        let body = fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ")
        try Fixtures.write(["config/orchestrator.json": "{\(body)}"], in: dir.path)
        return try run(orchExecutable, ["serve", "--config", dir("config"), "--state", dir("state")], environment: environment)
    }

    /// Each way the config can be wrong: what to change, and what the message must name.
    static let configErrors: [(name: String, change: [String: String?], message: String)] = [
        ("missing field", ["workerCount": nil], "orchestrator.json: field workerCount: missing; it is required"),
        ("unknown field", ["workers": "2"], "orchestrator.json: field workers: unknown field"),
        ("wrong type", ["workerCount": "\"two\""], "orchestrator.json: field workerCount: expected a whole number from 1 to 64, found a string"),
        ("out of range", ["workerCount": "65"], "orchestrator.json: field workerCount: expected a whole number from 1 to 64, found 65"),
        ("too few credential files", ["workerCount": "2"], "field claudeConfigs"),
        ("bad health field", ["health": #"{"checkSeconds": 0}"#], "orchestrator.json: field health.checkSeconds: expected a positive number, found 0"),
        ("image absent", ["image": "\"orch-no-such-image:latest\""], "image orch-no-such-image:latest (field image) is not present"),
        ("token variable unset", ["remote": #"{"tokenEnv": "ORCH_TEST_NO_SUCH_TOKEN"}"#], "field remote.tokenEnv: $ORCH_TEST_NO_SUCH_TOKEN is not set"),
        ("ssh key unreadable", ["remote": #"{"sshKey": "/nonexistent/key"}"#], "field remote.sshKey: cannot read /nonexistent/key"),
        ("secret in the URL", ["repositoryUrl": #""https://jane:sk-ant-secret-x@example.com/a.git""#], "field repositoryUrl: holds a user, password or token"),
        ("identity without an email", ["gitIdentity": #"{"name": "Jane"}"#], "field gitIdentity.email: missing"),
        ("remote unreachable", ["repositoryUrl": #""ssh://git@127.0.0.1:1/x.git""#], "cannot clone repositoryUrl ssh://git@127.0.0.1:1/x.git"),
        ("merge check without a command", ["mergeCheck": #"{"timeout": 60}"#], "orchestrator.json: field mergeCheck.command: missing; it is required"),
        ("merge check timeout not positive", ["mergeCheck": #"{"command": "make test", "timeout": -1}"#],
         "orchestrator.json: field mergeCheck.timeout: expected a positive number of seconds"),
        ("merge check program not in the image", ["mergeCheck": #"{"command": "no-such-test-runner --all"}"#],
         "orchestrator.json: field mergeCheck.command: `no-such-test-runner` is not found in the image orch-claude-test:latest"),
    ]

    @Test(arguments: 0..<configErrors.count)
    func eachConfigErrorExitsTwoNamingTheFieldAndStartsNothing(_ index: Int) throws {
        let (name, change, message) = Self.configErrors[index]
        let dir = ScratchDirectory()
        var fields = try Self.validSetup(dir)
        for (key, value) in change { fields[key] = value }
        let result = try Self.serve(dir, fields)
        #expect(result.status == 2, "\(name): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
        #expect(!result.stderr.contains("sk-ant-secret"), "no secret in an error")
        #expect(!FileManager.default.fileExists(atPath: dir("state")), "\(name): nothing is created")
    }

    @Test func malformedOrUnreadableCredentialFilesExitTwoNamingTheFileNotTheSecret() throws {
        let dir = ScratchDirectory()
        let fields = try Self.validSetup(dir)
        try Fixtures.write(["creds/b.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-secret-bbbbbbbbbbbbbbbbbbbb""#], in: dir.path)
        let malformed = try Self.serve(dir, fields)
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains(dir("creds", "b.json")), "\(malformed.stderr)")
        #expect(!malformed.stderr.contains("sk-ant-secret"))
        try FileManager.default.removeItem(atPath: dir("creds", "b.json"))
        try FileManager.default.createDirectory(atPath: dir("creds", "b.json"), withIntermediateDirectories: true)
        let unreadable = try Self.serve(dir, fields)
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains(dir("creds", "b.json")), "\(unreadable.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir("state")))
    }

    @Test func missingPrerequisitesSayHowToFixThem() throws {
        let dir = ScratchDirectory()
        let fields = try Self.validSetup(dir)
        // No engine: docker answers, the daemon does not.
        let noEngine = try Self.serve(dir, fields, environment: ["DOCKER_HOST": "unix://\(dir("no-docker.sock"))"])
        #expect(noEngine.status == 2)
        #expect(noEngine.stderr.contains("no Docker engine answers") && noEngine.stderr.contains("scripts/start-dockerd"), "\(noEngine.stderr)")
        // No tmux: a PATH with docker and compose but not tmux.
        let bin = dir("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        for tool in ["docker", "docker-compose", "env", "sh"] {
            if let found = try? run("/bin/sh", ["-c", "command -v \(tool)"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines), !found.isEmpty {
                try FileManager.default.createSymbolicLink(atPath: bin + "/" + tool, withDestinationPath: found)
            }
        }
        let noTmux = try Self.serve(dir, fields, environment: ["PATH": bin])
        #expect(noTmux.status == 2)
        #expect(noTmux.stderr.contains("tmux does not run") && noTmux.stderr.contains("apt-get install tmux"), "\(noTmux.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir("state")))

        let other = ScratchDirectory()
        let noDirection = try Self.serve(other, try Self.validSetup(other, direction: false))
        #expect(noDirection.status == 2)
        #expect(noDirection.stderr.contains("PROJECT_DIRECTION.md") && noDirection.stderr.contains("orch init"), "\(noDirection.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other("state")), "a refused start leaves no state directory")
    }
}
