import Foundation
import OrchRuntime
import Testing
import TestSupport

/// A compose service run interactively inside a tmux session, as orch runs an
/// instance: real Docker engine, real tmux, the test image built by
/// scripts/build-test-image (scripts/test prepares both).
@Suite(.serialized) struct ContainerInTmuxTests {
    static let image = "orch-claude-test:latest"

    @Test func aServiceRunsInATmuxPaneThatTypedInputReaches() async throws {
        guard let engine = try? await ContainerEngine.detect(), try await engine.hasImage(Self.image) else {
            Issue.record("needs a Docker engine and \(Self.image): scripts/test runs scripts/start-dockerd and scripts/build-test-image")
            return
        }
        let dir = ScratchDirectory()
        try Fixtures.write(["work/hello.txt": "from the host\n"], in: dir.path)
        let project = "orchtest\(UUID().uuidString.prefix(6).lowercased())"
        let container = "\(project)-worker-1"
        let file = ComposeFile(services: [
            .init(name: "worker-1", containerName: container, image: Self.image, user: "\(getuid()):\(getgid())", workingDirectory: dir("work"),
                  environment: ["ORCH_INSTANCE": "worker-1", "HOME": dir("work")],
                  mounts: [.init(dir("work"))], network: "host", command: ["bash", "--norc", "--noprofile"]),
        ])
        try file.rendered().write(toFile: dir("compose.yml"), atomically: true, encoding: .utf8)
        let tmux = Tmux(socket: project)
        try await withCleanup {
        try await engine.up(project: project, file: dir("compose.yml"), services: ["worker-1"])
        try await tmux.startSession("worker-1", command: engine.attachCommandLine(container: container), logFile: dir("logs", "worker-1.log"))
        var running: [String] = []
        for _ in 0..<100 where running.isEmpty {
            running = try await engine.runningContainers(prefix: container)
            if running.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(running == [container])

        try await tmux.type("worker-1", "echo \"$ORCH_INSTANCE sees $(cat hello.txt)\" > seen.txt")
        var seen = ""
        for _ in 0..<100 where seen.isEmpty {
            seen = (try? String(contentsOfFile: dir("work", "seen.txt"), encoding: .utf8)) ?? ""
            if seen.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(seen == "worker-1 sees from the host\n")

        // Ending the shell ends the container, with its status, and the attached pane.
        try await tmux.type("worker-1", "exit 7")
        for _ in 0..<100 where !running.isEmpty {
            running = try await engine.runningContainers(prefix: container)
            if !running.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(running.isEmpty)
        #expect(try await engine.exitCode(of: container) == 7)
        for _ in 0..<50 where try await tmux.panes()["worker-1"]?.dead != true { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await tmux.panes()["worker-1"]?.dead == true, "the pane stays, dead, for the health check")
        } cleanup: {
            try? await tmux.killServer()
            try? await engine.remove([container])
        }
    }
}
