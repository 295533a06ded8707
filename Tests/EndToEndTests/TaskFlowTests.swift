import Foundation
import GitKit
import OrchCore
import OrchRuntime
import ScriptedModel
import Testing
import TestSupport

/// `orch status --json`, as a client reads it.
struct StatusSchema: Decodable {
    struct Usage: Decodable { let inputTokens: Int; let outputTokens: Int; let costUSD: Double }
    struct Instance: Decodable { let name: String; let role: String; let state: String; let task: String?; let credential: String?; let restarts: Int
                                 let usage: Usage? }
    struct Task: Decodable { let id: String; let worker: Int; let state: String }
    struct Credential: Decodable { let file: String; let instance: String?; let limitedUntil: String?; let rotations: Int; let kind: String? }
    let server: String
    let instances: [Instance]
    let tasks: [Task]
    let credentials: [Credential]
}

enum EventLogReading {
    /// Each instance's last entry among `kinds`.
    static func last(_ events: [[String: String]], among kinds: Set<String>) -> [String: String] {
        var last: [String: String] = [:]
        for event in events {
            if let kind = event["event"], kinds.contains(kind), let instance = event["instance"] { last[instance] = kind }
        }
        return last
    }
}

/// The task flow end to end: the demo project, the real Claude Code in containers,
/// the demo's scripted model playing manager and workers.
@Suite(.serialized) struct TaskFlowTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let instances = ["manager", "worker-1", "worker-2", "worker-3"]

    /// A run of the demo project: origin repository, credentials, config, the scripted model.
    struct Run {
        let dir: ScratchDirectory
        let server: ScriptedModelServer
        let project: String
        let taskCount: Int
        /// The API key of each credential file, by file name (`0.json` … in instance order, then spares).
        let keys: [String: String]

        /// - Parameters:
        ///   - taskSeconds: how long each worker's turn on a task takes (a `sleep` before its work).
        ///   - spareCredentials: credential files beyond one per instance.
        ///   - rateLimitSeconds: `health.rateLimitSeconds`.
        ///   - dashboardPort: the dashboard's port, 0 for none.
        ///   - extraConfig: more top-level fields for orchestrator.json, e.g. `"remote": {…}`.
        ///   - hooksSwitchedOff: the repository carries project and local settings that switch every hook off.
        ///   - attack: a shell script worker-1 runs (as its agent would) before its first task's work.
        ///   - rules: more rules for the scripted model, played before the demo's.
        ///   - everyKind: the manager's file holds a long-lived token (`CLAUDE_CODE_OAUTH_TOKEN`) and worker-1's a
        ///     claude.ai login (`claudeAiOauth`, with a refresh token); the rest API keys.
        init(taskSeconds: Int = 0, spareCredentials: Int = 0, rateLimitSeconds: Int = 900, dashboardPort: Int = 0, extraConfig: String = "",
             hooksSwitchedOff: Bool = false, attack: String? = nil, rules: [ModelRule] = [], everyKind: Bool = false) async throws {
            dir = ScratchDirectory()
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
            var files: [String: String] = [:]
            for name in ["PROJECT_DIRECTION.md", "shared.txt", "README.md"] {
                files[name] = try String(contentsOfFile: "\(packageRoot)/demo/project/\(name)", encoding: .utf8)
            }
            taskCount = files["PROJECT_DIRECTION.md"]!.split(separator: "\n").filter { $0.first?.isNumber == true }.count
            if hooksSwitchedOff {
                // What a prompt-injected agent (or a hostile repository) would commit: in every worktree from the start.
                files[".claude/settings.json"] = #"{"disableAllHooks": true, "hooks": {}}"#
                files[".claude/settings.local.json"] = #"{"disableAllHooks": true}"#
            }
            // The user's repository: a bare one over file://, which orch pushes its work to.
            try Fixtures.repository(at: dir("seed"), files: files)
            try git("clone", "-q", "--bare", dir("seed"), dir("origin"), in: dir.path)
            var credentials: [String: String] = [:]
            var keys: [String: String] = [:]
            for index in 0..<(instances.count + spareCredentials) {
                let key = "sk-ant-demo-\(index)-\(UUID().uuidString.prefix(8))-0123456789abcdef"
                keys["\(index).json"] = key
                credentials["creds/\(index).json"] = #"{"env": {"ANTHROPIC_API_KEY": "\#(key)"}}"#
                if everyKind && index == 0 { credentials["creds/0.json"] = #"{"env": {"CLAUDE_CODE_OAUTH_TOKEN": "\#(key)"}}"# }
                if everyKind && index == 1 {
                    keys["1.json refresh"] = "rt-\(key)"
                    let expires = Int(Date().timeIntervalSince1970 * 1000) + 3_600_000
                    credentials["creds/1.json"] = #"{"claudeAiOauth": {"accessToken": "\#(key)", "refreshToken": "rt-\#(key)", "expiresAt": \#(expires), "scopes": ["user:inference"], "subscriptionType": "max"}}"#
                }
            }
            self.keys = keys
            try Fixtures.write(credentials, in: dir.path)
            var script = try ModelScript(json: Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/demo/model.json")), file: "demo/model.json")
            if taskSeconds > 0 { script.rules["*"]!.insert(ModelRule(match: "Orch-Task: T-[0-9]+", bash: "sleep \(taskSeconds)"), at: 0) }
            if let attack { script.rules["*"]!.insert(ModelRule(match: "Orch-Task: T-0001", bash: attack), at: 0) }
            script.rules["*"]!.insert(contentsOf: rules, at: 0)
            server = try await ScriptedModelServer.start(script)
            try Fixtures.write(["config/orchestrator.json": """
                {"repositoryUrl": "file://\(dir("origin"))", "workerCount": 3, "claudeConfigs": "\(dir("creds"))/*.json",
                 "image": "orch-claude-test:latest", "network": "host", "dashboardPort": \(dashboardPort),
                 "env": {"ANTHROPIC_BASE_URL": "\(server.baseURL)"},
                 "health": {"checkSeconds": 1, "backoffSeconds": 0.5, "rateLimitSeconds": \(rateLimitSeconds)}\(extraConfig)}
                """], in: dir.path)
            project = Fleet.projectName(for: StateLayout(root: dir("state")))
        }

        func startServe() throws -> Process {
            let serve = Process()
            serve.executableURL = URL(fileURLWithPath: orchExecutable)
            serve.arguments = ["serve", "--config", dir("config"), "--state", dir("state")]
            if !FileManager.default.fileExists(atPath: dir("serve.out")) {
                _ = FileManager.default.createFile(atPath: dir("serve.out"), contents: nil)
            }
            let output = FileHandle(forUpdatingAtPath: dir("serve.out"))!
            output.seekToEndOfFile()
            serve.standardOutput = output
            serve.standardError = output
            try serve.run()
            return serve
        }

        /// The target's tasks: merged ones and all.
        func ledger() -> TaskLedger? {
            guard let repository = try? Repository.open(at: dir("state", "repo.git")) else { return nil }
            return try? TaskLedger(repository: repository, target: "main")
        }

        func waitUntilMerged(atLeast count: Int, seconds: Double) async throws -> Bool {
            try await ServeTests.waitUntil(seconds) {
                guard let ledger = ledger() else { return false }
                return ledger.tasks.count == taskCount && ledger.counts[.merged, default: 0] >= count
            }
        }

        func stop(_ serve: Process) async throws {
            kill(serve.processIdentifier, SIGTERM)
            let stopping = Date()
            while serve.isRunning && Date().timeIntervalSince(stopping) < 15 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(serve.terminationStatus == 0)
        }

        func cleanUp(_ serve: Process?) async {
            if let serve, serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
            _ = try? run("tmux", ["-L", project, "kill-server"])
            _ = try? run("docker", ["rm", "-f"] + instances.map { "\(project)-\($0)" })
            await server.stop()
        }

        var serveOutput: String { (try? String(contentsOfFile: dir("serve.out"), encoding: .utf8)) ?? "" }

        /// Every task merged once: each trailer in exactly one commit of the target, each task ticked.
        func expectEveryTaskMergedOnce() throws {
            let repository = try Repository.open(at: dir("state", "repo.git"))
            let main = try #require(try repository.branchTip("main"))
            let trailers = try repository.commits(from: main, excluding: nil).flatMap { $0.trailerValues("Orch-Task") }
            let state = try #require(self.ledger())
            #expect(state.tasks.count == taskCount)
            for task in state.tasks {
                #expect(task.state == .merged, "\(task.id) is \(task.state)")
                #expect(trailers.filter { $0 == task.id.description }.count == 1, "\(task.id) committed \(trailers.filter { $0 == task.id.description }.count) times")
            }
        }
    }

    @Test func theManagerPlansWorkersNeverIdleAConflictIsResolvedAndEveryTaskIsMergedOnce() async throws {
        // The repository switches every hook off in its project and local settings: orch's, managed, run all the same.
        let run = try await Run(hooksSwitchedOff: true)
        let serve = try run.startServe()
        try await withCleanup {
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 300)
            #expect(finished, "merged: \(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()

            // Both sides of the conflict are on the target: a worker resolved it, the manager merged it.
            let repository = try Repository.open(at: run.dir("state", "repo.git"))
            let main = try #require(try repository.branchTip("main"))
            let shared = try #require(try repository.readFile("shared.txt", at: main))
            let text = String(decoding: shared, as: UTF8.self)
            #expect(text.contains("alpha") && text.contains("beta"), "\(text)")
            // Whichever of worker-1 (alpha) and worker-2 (beta) was merged second had the conflict:
            // usually worker-2, but worker-2 may finish first and its merge go in before worker-1's.
            // Its notice may reach the manager after the last merge (a fast worker resolves before the manager's next turn).
            let conflictNotice = { (events: [[String: String]]) in
                ["worker-1", "worker-2"].first { name in
                    events.contains { $0["event"] == "notified" && $0["notices"]?.contains("conflict:\(name)") == true }
                }
            }
            _ = try await ServeTests.waitUntil(60) { conflictNotice(ServeTests.events(run.dir)) != nil }
            let events = ServeTests.events(run.dir)
            let conflicted = conflictNotice(events)
            #expect(conflicted != nil, "\(events)")
            let resolved = try await ServeTests.waitUntil(60) {
                ServeTests.events(run.dir).contains { $0["event"] == "notified" && $0["notices"]?.contains("resolved:\(conflicted ?? "worker-2")") == true }
            }
            #expect(resolved, "the manager heard that \(conflicted ?? "worker-2") resolved its conflict: \(ServeTests.events(run.dir).filter { $0["instance"] != "worker-3" }.map { "\($0["event"]!) \($0["instance"] ?? "") \($0["notices"] ?? $0["task"] ?? $0["outcome"] ?? "")" })")
            // Each notice reached the manager exactly once.
            let keys = events.filter { $0["event"] == "notified" }.flatMap { ($0["notices"] ?? "").split(separator: " ") }
            #expect(keys.count == Set(keys).count, "\(keys)")
            // Tasks went out through Stop hooks; none was worked on by two workers.
            #expect(events.contains { $0["event"] == "delivered" && $0["by"] == "stop-hook" })

            // Wait until everyone is idle (last word of each: idle).
            let quiet = try await ServeTests.waitUntil(60) {
                let last = EventLogReading.last(ServeTests.events(run.dir), among: ["idle", "UserPromptSubmit", "delivered", "notified"])
                return TaskFlowTests.instances.allSatisfy { last[$0] == "idle" }
            }
            #expect(quiet)
            // Everyone is idle now: a task assigned from outside is typed into its worker's pane (taken at the
            // first attempt), and its done notice into the manager's, which merges it.
            let assigned = try TestSupport.run(orchExecutable, ["assign", "--repo", run.dir("state", "repo.git"), "--worker", "3", "Write the roadmap"])
            #expect(assigned.status == 0, "\(assigned.stderr)")
            let merged = try await ServeTests.waitUntil(90) { run.ledger()?.task(TaskID(run.taskCount + 1))?.state == .merged }
            #expect(merged, "\(ServeTests.events(run.dir).suffix(20))\n\(run.serveOutput)")
            let later = ServeTests.events(run.dir)
            let typed = later.filter { $0["event"] == "delivered" && $0["by"] == "pane" }
            #expect(typed.contains { $0["task"] == TaskID(run.taskCount + 1).description && $0["attempts"] == "1" }, "\(typed)")
            #expect(later.contains { $0["event"] == "notified" && $0["by"] == "pane" && $0["notices"]?.contains("done:\(TaskID(run.taskCount + 1))") == true })

            // orch status, from the host and from inside the manager's container (through $ORCH_URL and its own token).
            let live = try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state"), "--json"])
            #expect(live.status == 0, "\(live.stderr)")
            let report = try JSONDecoder().decode(StatusSchema.self, from: Data(live.stdout.utf8))
            #expect(report.server == "running" && report.instances.map(\.name) == TaskFlowTests.instances)
            #expect(report.instances.allSatisfy { $0.state == "idle" || $0.state == "working" }, "\(report.instances)")
            #expect(report.tasks.count == run.taskCount + 1 && report.tasks.allSatisfy { $0.state == "merged" })
            #expect(report.credentials.map(\.file) == ["0.json", "1.json", "2.json", "3.json"] && report.credentials.allSatisfy { $0.instance != nil })
            #expect(report.credentials.allSatisfy { $0.kind == "apiKey" }, "each file's kind: \(report.credentials)")
            // Each finished task's tokens and cost are in the event log (from the workers' status lines).
            let spent = ServeTests.events(run.dir).filter { $0["event"] == "task-usage" }
            // (A response the client writes to its transcript after the Stop that ends its task counts to the next one.)
            let counted = spent.filter { (Int($0["inputTokens"] ?? "") ?? 0) > 0 && (Int($0["outputTokens"] ?? "") ?? 0) > 0 }
            #expect(!spent.isEmpty && spent.allSatisfy { $0["task"]?.hasPrefix("T-") == true } && counted.count * 2 >= spent.count,
                    "the tasks' responses counted: \(spent)")
            // (A task's cost is what the status line reported inside it: with redraws this sparse it may be none.)
            #expect(spent.allSatisfy { (Double($0["costUSD"] ?? "") ?? -1) >= 0 }, "\(spent)")
            // Each instance's status line reported its session's tokens and cost (issue #15 point 5).
            #expect(report.instances.allSatisfy { ($0.usage?.inputTokens ?? 0) > 0 && ($0.usage?.outputTokens ?? 0) > 0 && ($0.usage?.costUSD ?? 0) > 0 },
                    "\(report.instances.map { "\($0.name) \(String(describing: $0.usage))" })")
            let inside = try TestSupport.run("docker", ["exec", "\(run.project)-manager", "orch", "status"])
            #expect(inside.status == 0 && inside.stdout.contains("worker-3") && inside.stdout.contains("server running"), "\(inside.stdout)\(inside.stderr)")
            try await run.stop(serve)
            let down = try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state")])
            #expect(down.status == 1 && down.stdout.contains("server is down") && down.stdout.contains("\(run.taskCount + 1) merged") && down.stdout.contains("KIND") && down.stdout.contains("apiKey"), "\(down.stdout)")

            // orch logs: the event log, an instance's events and pane log, and -f following appends.
            let all = try TestSupport.run(orchExecutable, ["logs", "--state", run.dir("state")])
            #expect(all.status == 0 && all.stdout.contains("worker-2  delivered") && all.stdout.contains("manager  notified"), "\(all.stdout.suffix(1500))")
            let one = try TestSupport.run(orchExecutable, ["logs", "worker-1", "--state", run.dir("state")])
            #expect(one.stdout.contains("--- \(run.dir("state", "logs", "worker-1.log"))") && !one.stdout.contains("worker-2  delivered"))
            let follow = Process()
            follow.executableURL = URL(fileURLWithPath: orchExecutable)
            follow.arguments = ["logs", "-f", "--state", run.dir("state")]
            let out = Pipe()
            follow.standardOutput = out
            try follow.run()
            try await Task.sleep(for: .seconds(1))
            let handle = try #require(FileHandle(forWritingAtPath: run.dir("state", "logs", "events.jsonl")))
            handle.seekToEndOfFile()
            handle.write(Data(#"{"event":"followed","instance":"worker-3","time":"2026-11-25T00:00:00Z"}"#.utf8 + [0x0A]))
            try handle.close()
            try await Task.sleep(for: .seconds(1.5))
            follow.terminate()
            follow.waitUntilExit()
            let followed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(followed.contains("worker-3  followed"), "\(followed.suffix(500))")
            // Without a terminal, the summary goes to the log as plain lines.
            #expect(run.serveOutput.contains("orch · tasks merged \(run.taskCount)/"), "\(run.serveOutput.suffix(2000))")
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    @Test func killDashNineOfTheServerInTheMiddleOfARunThenServeAgainCompletesItWithEveryTaskMergedOnce() async throws {
        let run = try await Run(taskSeconds: 2)
        var serve = try run.startServe()
        try await withCleanup {
            let started = try await run.waitUntilMerged(atLeast: 1, seconds: 120)
            #expect(started, "\(run.serveOutput)")
            let before = try #require(run.ledger())
            #expect(before.counts[.merged, default: 0] < run.taskCount, "the run was over before the kill: \(before.counts)")
            kill(serve.processIdentifier, SIGKILL)
            serve.waitUntilExit()
            // Its containers work on; the next server adopts them and finishes the run.
            serve = try run.startServe()
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 240)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            #expect(run.serveOutput.contains("kept worker-1"), "\(run.serveOutput)")
            let keys = ServeTests.events(run.dir).filter { $0["event"] == "notified" }.flatMap { ($0["notices"] ?? "").split(separator: " ") }
            #expect(keys.count == Set(keys).count, "a notice reached the manager twice: \(keys)")
            try await run.stop(serve)
            // The restarted server pushed what the killed one had not: the user's main is orch's.
            #expect(try git("rev-parse", "main", in: run.dir("origin")) == (try git("rev-parse", "main", in: run.dir("state", "repo.git"))))
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    @Test func aWorkerGetsMoreThanEightTasksInARowThroughItsStopHook() async throws {
        let run = try await Run()
        // Nine more tasks for worker-1 before the manager plans its three: twelve in a row, past the client's default cap of 8 blocks.
        for index in 1...9 {
            let assigned = try TestSupport.run(orchExecutable, ["assign", "--repo", run.dir("origin"), "--worker", "1", "Write note \(index)"])
            #expect(assigned.status == 0, "\(assigned.stderr)")
        }
        let total = run.taskCount + 9
        let serve = try run.startServe()
        try await withCleanup {
            let finished = try await ServeTests.waitUntil(120) {
                guard let ledger = run.ledger() else { return false }
                return ledger.tasks.count == total && ledger.counts[.merged, default: 0] == total
            }
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))")
            let deliveries = ServeTests.events(run.dir).filter { $0["event"] == "delivered" && $0["instance"] == "worker-1" }
            #expect(deliveries.count == 12, "\(deliveries)")
            #expect(deliveries.filter { $0["by"] == "stop-hook" }.count >= 11, "one task after another in the Stop hook: \(deliveries)")
            try await run.stop(serve)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }
}
