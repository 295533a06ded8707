import Foundation
@testable import OrchRuntime
import Testing
import TestSupport

/// Against the real tmux, on a socket of the test's own.
@Suite struct TmuxTests {
    @Test func startTypeCaptureLogAndKill() async throws {
        let dir = ScratchDirectory()
        let tmux = Tmux(socket: "orch-test-\(UUID().uuidString.prefix(8))")
        try await withCleanup {
        try await tmux.startSession("worker-1", command: "bash --norc --noprofile", environment: ["ORCH_INSTANCE": "worker-1"], logFile: dir("logs", "worker-1.log"))
        #expect(try await tmux.hasSession("worker-1"))
        #expect(try await !tmux.hasSession("worker-"), "names match exactly, not by prefix")
        try await tmux.type("worker-1", "echo \"instance=$ORCH_INSTANCE\"")
        var screen = ""
        for _ in 0..<50 {
            screen = try await tmux.capture("worker-1")
            if screen.contains("instance=worker-1") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(screen.contains("instance=worker-1"))
        let log = (try? String(contentsOfFile: dir("logs", "worker-1.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("instance=worker-1"))
        #expect((try FileManager.default.attributesOfItem(atPath: dir("logs", "worker-1.log")))[.posixPermissions] as? Int == 0o600, "pane logs are private")
        #expect((try FileManager.default.attributesOfItem(atPath: dir("logs")))[.posixPermissions] as? Int == 0o700)
        #expect(Tmux.printable("a\u{1B}[201~b\u{07}\u{9B}c\td\ne") == "a[201~bc\td\ne", "no escape sequence reaches a pane")

        try await tmux.killSession("worker-1")
        #expect(try await tmux.sessions().isEmpty)
        try await tmux.killSession("worker-1")
        } cleanup: { try? await tmux.killServer() }
    }

    @Test func aSecondSessionOfTheSameNameIsRefused() async throws {
        let tmux = Tmux(socket: "orch-test-\(UUID().uuidString.prefix(8))")
        try await withCleanup {
        try await tmux.startSession("manager", command: "sleep 30", logFile: nil)
        await #expect(throws: RuntimeError.self) {
            try await tmux.startSession("manager", command: "sleep 30", logFile: nil)
        }
        try await tmux.killServer()
        #expect(try await tmux.sessions().isEmpty)
        } cleanup: { try? await tmux.killServer() }
    }

    @Test func quoting() {
        #expect(shellQuoted("a b") == "'a b'")
        #expect(shellQuoted("it's") == "'it'\\''s'")
    }
}
