import Foundation
import OrchCore
import OrchRuntime
import Testing
import TestSupport

@Suite struct AttachTests {
    @Test func attachShowsTheInstancesPaneInsideAnotherTerminal() async throws {
        let dir = ScratchDirectory()
        let layout = StateLayout(root: dir("state"))
        let inner = Tmux(socket: Fleet.projectName(for: layout))
        let outer = Tmux(socket: "orch-test-outer-\(UUID().uuidString.prefix(6))")
        try await withCleanup {
            try await inner.startSession("worker-2", command: "bash --norc --noprofile", logFile: nil)
            try await inner.type("worker-2", "echo marker-$((6 * 7))")
            // A person's terminal, played by another tmux server.
            try await outer.startSession("person", command: "env -u TMUX \(shellQuoted(orchExecutable)) attach worker-2 --state \(shellQuoted(dir("state")))", logFile: nil)
            var screen = ""
            for _ in 0..<50 where !screen.contains("marker-42") {
                screen = try await outer.capture("person")
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(screen.contains("marker-42"), "\(screen)")
        } cleanup: {
            try? await outer.killServer()
            try? await inner.killServer()
        }
    }

    @Test func attachingToNothingSaysSo() throws {
        let dir = ScratchDirectory()
        let missing = try run(orchExecutable, ["attach", "worker-1", "--state", dir("state")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no session worker-1 is running"))
        let bad = try run(orchExecutable, ["attach", "worker-x", "--state", dir("state")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("instance must be manager or worker-N, got worker-x"))
    }
}
