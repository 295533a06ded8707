import Foundation
import GitKit
import OrchCore
import OrchRuntime
import ScriptedModel
import Testing
import TestSupport

/// orch's parts put together the way `orch serve` will: a workspace, an instance
/// home, a compose service running the real Claude Code interactively in a tmux
/// pane, against the scripted model. No dialog may wait for a person.
@Suite struct InstanceLaunchTests {
    @Test func aWorkerInItsContainerRunsItsFirstPromptAndCommitsOnItsBranch() async throws {
        guard let engine = try? await ContainerEngine.detect(), try await engine.hasImage("orch-claude-test:latest") else {
            Issue.record("needs a Docker engine and orch-claude-test:latest (scripts/test prepares both)")
            return
        }
        let dir = ScratchDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try Fixtures.repository(at: dir("origin"), files: ["PROJECT_DIRECTION.md": "# Build things\n", "app.txt": "v1\n"])
        let layout = StateLayout(root: dir("state"))
        _ = try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 1, layout: layout)
        try Fixtures.write(["creds/w1.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-test-worker-1-0123456789abcdef"}}"#], in: dir.path)
        let home = InstanceHome(instance: .worker(1), layout: layout)
        try home.write(credential: CredentialFile.load(path: dir("creds", "w1.json")), prompt: "unused")

        let server = try await ScriptedModelServer.start(ModelScript([
            "sk-ant-test-worker-1-0123456789abcdef": [
                .bash("echo done > feature.txt && git add feature.txt && git -c user.name=worker -c user.email=w@orch commit -qm 'Add the feature' -m 'Orch-Task: T-0001'"),
                .text("Task T-0001 is committed."),
            ],
        ]))
        let project = "orche2e\(UUID().uuidString.prefix(6).lowercased())"
        // Its own clone (orch checkout makes it over the channel; here there is no server).
        let worktree = try Fixtures.instanceClone(of: "orch/worker-1", from: layout.clone, at: layout.worktree(.worker(1)))
        try git("branch", "main", "origin/main", in: worktree)
        let container = "\(project)-worker-1"
        let compose = ComposeFile(services: [
            .init(name: "worker-1", containerName: container, image: "orch-claude-test:latest", user: "\(getuid()):\(getgid())", workingDirectory: worktree,
                  environment: [
                    "HOME": home.path, "ORCH_ROLE": "worker", "ORCH_INSTANCE": "worker-1", "WORKER_ID": "1", "TOTAL_WORKERS": "1",
                    "ANTHROPIC_BASE_URL": server.baseURL, "IS_SANDBOX": "1", "DISABLE_AUTOUPDATER": "1",
                    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                  ],
                  mounts: [.init(worktree), .init(home.path)], network: "host",
                  command: ["claude", "--dangerously-skip-permissions", "Do task T-0001"]),
        ])
        try compose.rendered().write(toFile: dir("state", "compose.yml"), atomically: true, encoding: .utf8)
        let tmux = Tmux(socket: project)
        try await withCleanup {
            try await engine.up(project: project, file: dir("state", "compose.yml"), services: ["worker-1"])
            try await tmux.startSession("worker-1", command: engine.attachCommandLine(container: container), logFile: layout.logs + "/worker-1.log")
            let repo = try Repository.open(at: worktree)
            var trailers: [String] = []
            for _ in 0..<600 where trailers.isEmpty {
                if let tip = try repo.branchTip("orch/worker-1"), let main = try repo.branchTip("main") {
                    trailers = try repo.commits(from: tip, excluding: main).flatMap { $0.trailerValues("Orch-Task") }
                }
                if trailers.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            let pane = (try? await tmux.capture("worker-1")) ?? ""
            #expect(trailers == ["T-0001"], "pane: \(pane)")
            var screen = ""
            for _ in 0..<100 where !screen.contains("Task T-0001 is committed.") {
                screen = (try? await tmux.capture("worker-1")) ?? ""
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(screen.contains("Task T-0001 is committed."), "\(screen)")
            #expect(try git("status", "--porcelain", in: worktree) == "")
        } cleanup: {
            try? await tmux.killServer()
            try? await engine.remove([container])
            await server.stop()
        }
    }
}
