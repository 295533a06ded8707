import Foundation
import OrchCore
import Testing
import TestSupport
@testable import OrchServer

/// `orch hook EVENT` as hooks/forward runs it inside a container.
@Suite struct HookCommandTests {
    @Test func itPrintsTheServersReplyForItsInstance() async throws {
        let dir = ScratchDirectory()
        let receiver = try await RunningReceiver.start(in: dir)
        try await withCleanup {
            let result = try await runDetached(orchExecutable, ["hook", "Stop"],
                                               environment: ["ORCH_SOCKET": receiver.socket, "ORCH_TOKEN": receiver.tokens.token(for: .worker(2))!],
                                               input: #"{"session_id": "s", "hook_event_name": "Stop", "stop_hook_active": false}"#)
            #expect(result.status == 0)
            #expect(result.stdout == #"{"decision":"block","reason":"Next: T-0002\nOrch-Task: T-0002"}"#)
            #expect(await receiver.handler.received.events.map(\.instance) == [.worker(2)])
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func withNoServerItPrintsNothingAndExitsZeroAfterTryingForFiveSeconds() async throws {
        let dir = ScratchDirectory()
        let started = Date()
        let missing = try await runDetached(orchExecutable, ["hook", "Stop"], environment: ["ORCH_SOCKET": dir("none.sock"), "ORCH_TOKEN": "t"], input: "{}")
        let elapsed = Date().timeIntervalSince(started)
        #expect(missing.status == 0 && missing.stdout.isEmpty)
        #expect(elapsed >= 4.5 && elapsed < 20, "gave up after \(elapsed) s")
        let unset = try await runDetached(orchExecutable, ["hook", "Stop"], environment: ["ORCH_SOCKET": "", "ORCH_TOKEN": ""], input: "{}")
        #expect(unset.status == 0 && unset.stdout.isEmpty)
        #expect(unset.stderr.contains("ORCH_SOCKET or ORCH_TOKEN is not set"))
    }

    @Test func aServerThatComesBackWithinFiveSecondsGetsTheEvent() async throws {
        let dir = ScratchDirectory()
        let token = try InstanceTokens.loadOrCreate(file: dir("run", "tokens.json"), instances: InstanceName.all(workerCount: 2)).token(for: .worker(2))!
        let hook = Task {
            try await runDetached(orchExecutable, ["hook", "Stop"], environment: ["ORCH_SOCKET": dir("run", "orch.sock"), "ORCH_TOKEN": token],
                                  input: #"{"session_id": "s", "hook_event_name": "Stop", "stop_hook_active": false}"#)
        }
        try await Task.sleep(for: .seconds(1.5))
        let receiver = try await RunningReceiver.start(in: dir)
        try await withCleanup {
            let result = try await hook.value
            #expect(result.status == 0)
            #expect(result.stdout.contains("T-0002"), "\(result.stderr)")
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test func aServerThatDoesNotAnswerIsGivenUpAfterFiveSeconds() async throws {
        let dir = ScratchDirectory()
        let stalled = try ListeningSocket(path: dir("stalled.sock"))
        defer { stalled.close() }
        let started = Date()
        let result = try await runDetached(orchExecutable, ["hook", "Stop"], environment: ["ORCH_SOCKET": stalled.path, "ORCH_TOKEN": "t"], input: "{}")
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0 && result.stdout.isEmpty)
        #expect(elapsed >= 4.5 && elapsed < 20, "gave up after \(elapsed) s")
    }
}
