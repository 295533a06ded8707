import Foundation
import OrchCore
import Testing
import TestSupport
@testable import OrchServer

/// `orch hook EVENT` and the `orch-hook EVENT` forwarder the image's hooks run: the same contract.
@Suite struct HookCommandTests {
    static let stop = #"{"session_id": "s", "hook_event_name": "Stop", "stop_hook_active": false}"#

    @Test(arguments: HookCommand.allCases) func itPrintsTheServersReplyForItsInstance(_ hook: HookCommand) async throws {
        let dir = ScratchDirectory()
        let receiver = try await RunningReceiver.start(in: dir)
        try await withCleanup {
            let (executable, arguments) = hook.invocation("Stop")
            let result = try await runDetached(executable, arguments,
                                               environment: ["ORCH_URL": receiver.endpoint.url, "ORCH_TOKEN": receiver.tokens.token(for: .worker(2))!],
                                               input: Self.stop)
            #expect(result.status == 0)
            #expect(result.stdout == #"{"decision":"block","reason":"Next: T-0002\nOrch-Task: T-0002"}"#)
            #expect(await receiver.handler.received.events.map(\.instance) == [.worker(2)])
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test(arguments: HookCommand.allCases) func withNoServerItPrintsNothingAndExitsZeroJustBeforeTheHooksTimeout(_ hook: HookCommand) async throws {
        let started = Date()
        let url = "http://127.0.0.1:\(try RawSocket.freePort())"
        let (executable, arguments) = hook.invocation("Stop")
        let missing = try await runDetached(executable, arguments, environment: ["ORCH_URL": url, "ORCH_TOKEN": "t"], input: "{}")
        let elapsed = Date().timeIntervalSince(started)
        #expect(missing.status == 0 && missing.stdout.isEmpty)
        let budget = Double(InstanceHome.hookTimeoutSeconds)
        #expect(elapsed >= budget - 3 && elapsed < budget, "gave up after \(elapsed) s; the hook's timeout is \(budget) s")
    }

    @Test(arguments: HookCommand.allCases) func badEnvironmentOrStdinIsReportedNeverACrash(_ hook: HookCommand) async throws {
        let (executable, arguments) = hook.invocation("Stop")
        let unset = try await runDetached(executable, arguments, environment: ["ORCH_URL": "", "ORCH_TOKEN": ""], input: "{}")
        #expect(unset.status == 0 && unset.stdout.isEmpty)
        #expect(unset.stderr.contains("ORCH_URL (http://HOST:PORT) or ORCH_TOKEN is not set"))
        let notURL = try await runDetached(executable, arguments, environment: ["ORCH_URL": "/run/orch.sock", "ORCH_TOKEN": "t"], input: "{}")
        #expect(notURL.status == 0 && notURL.stderr.contains("ORCH_URL"))
        // stdin closed (`orch hook Stop <&-`), as a misconfigured hook runner might leave it.
        let closed = try await runDetached("/bin/sh", ["-c", "exec \"$0\" \"$@\" <&-", executable] + arguments,
                                           environment: ["ORCH_URL": "http://127.0.0.1:9", "ORCH_TOKEN": "t"], input: "")
        #expect(closed.status == 0, "exit \(closed.status): \(closed.stderr)")
        #expect(closed.stderr.contains("no hook JSON on stdin"))
        let huge = try await runDetached(executable, arguments, environment: ["ORCH_URL": "http://127.0.0.1:9", "ORCH_TOKEN": "t"],
                                         input: String(repeating: "x", count: HookReceiver.maximumBody + 10))
        #expect(huge.status == 0 && huge.stderr.contains("over \(HookReceiver.maximumBody) bytes"))
    }

    @Test(arguments: HookCommand.allCases) func aServerThatComesBackWithinTheBudgetGetsTheEvent(_ hook: HookCommand) async throws {
        let dir = ScratchDirectory()
        let port = try RawSocket.freePort()
        let token = try InstanceTokens.loadOrCreate(file: dir("run", "tokens.json"), instances: InstanceName.all(workerCount: 2)).token(for: .worker(2))!
        let (executable, arguments) = hook.invocation("Stop")
        let running = Task {
            try await runDetached(executable, arguments, environment: ["ORCH_URL": "http://127.0.0.1:\(port)", "ORCH_TOKEN": token],
                                  input: Self.stop)
        }
        try await Task.sleep(for: .seconds(1.5))
        let receiver = try await RunningReceiver.start(in: dir, port: port)
        try await withCleanup {
            let result = try await running.value
            #expect(result.status == 0)
            #expect(result.stdout.contains("T-0002"), "\(result.stderr)")
        } cleanup: {
            await receiver.stop()
        }
    }

    @Test(arguments: HookCommand.allCases) func aServerThatDoesNotAnswerIsGivenUpJustBeforeTheHooksTimeout(_ hook: HookCommand) async throws {
        let stalled = try ListeningSocket()
        defer { stalled.close() }
        let started = Date()
        let (executable, arguments) = hook.invocation("Stop")
        let result = try await runDetached(executable, arguments, environment: ["ORCH_URL": stalled.url, "ORCH_TOKEN": "t"], input: "{}")
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0 && result.stdout.isEmpty)
        #expect(elapsed < Double(InstanceHome.hookTimeoutSeconds), "gave up after \(elapsed) s")
    }
}
