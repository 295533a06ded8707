import Foundation
import GitKit
import Logging
import OrchCore
import Testing
import TestSupport
@testable import OrchFlow
@testable import OrchServer

/// The hook router (``HookRouter``): what each hook event changes on the
/// board, in the instance's home and in the task flow, and what it answers.
@Suite struct HookRouterTests {
    let setup: TaskFlowUnitTests.Setup
    let board = InstanceBoard(instances: InstanceName.all(workerCount: 2))
    let flow: TaskFlow
    let router: HookRouter

    init() throws {
        setup = try TaskFlowUnitTests.Setup()
        flow = setup.flow()
        router = HookRouter(board: board, layout: setup.layout, flow: flow, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    func event(_ name: HookEventName, _ instance: InstanceName, _ fields: [String: Any] = [:]) throws -> HookEvent {
        try HookEvent(name: name, instance: instance, body: JSONSerialization.data(withJSONObject: fields))
    }

    @Test func sessionStartRecordsTheConversationForARestartToResume() async throws {
        let session = "0d3f5a7c-1111-4222-8333-944455556666"
        #expect(await router.handle(try event(.sessionStart, .worker(1), ["session_id": session, "source": "startup"])) == .none)
        func recorded(_ worker: Int) -> String? {
            try? String(contentsOfFile: setup.layout.home(.worker(worker)) + "/.orch/session-id", encoding: .utf8)
        }
        #expect(recorded(1) == session)
        #expect(await board.status(.worker(1))?.working == true)
        _ = await router.handle(try event(.sessionStart, .worker(2), ["session_id": "../../etc/passwd"]))
        #expect(recorded(2) == nil, "what is not a session id is not kept")
    }

    @Test func aWorkersStopGetsItsNextTaskAndStaysWorkingAnEmptyQueueLetsItStop() async throws {
        let task = try setup.assign(1, "Write the notes")
        let reply = try #require(TaskFlowUnitTests.reason(await router.handle(try event(.stop, .worker(1)))))
        #expect(reply.contains("Next task \(task)"))
        #expect(await board.status(.worker(1))?.working == true, "a blocked stop is not an end")
        #expect(await router.handle(try event(.stop, .worker(2))) == .none)
        #expect(await board.status(.worker(2))?.working == false)
        let notices = try #require(TaskFlowUnitTests.reason(await router.handle(try event(.stop, .manager))))
        #expect(notices.contains("worker-2 is idle"))
        // Its next Stop goes on from that reply (stop_hook_active): confirmed, not sent again.
        #expect(await router.handle(try event(.stop, .manager, ["stop_hook_active": true])) == .none, "each notice once")
    }

    @Test func aTypedTaskIsConfirmedByItsPromptAndAnIdlePromptMakesAWorkerIdle() async throws {
        // worker-1 never stopped here (the server came up after it did): Claude's idle prompt says it waits.
        #expect(await router.handle(try event(.notification, .worker(1), ["notification_type": "idle_prompt"])) == .none)
        let task = try setup.assign(1, "Write the FAQ")
        await flow.poll(now: Date())
        let typed = await setup.panes.texts(.worker(1))
        #expect(typed.count == 1 && typed[0].contains(task.trailer), "\(typed)")
        _ = await router.handle(try event(.userPromptSubmit, .worker(1), ["prompt": typed[0]]))
        #expect(try await setup.ledger(after: flow).task(task)?.state == .delivered)
        await flow.poll(now: Date().addingTimeInterval(60))
        #expect(await setup.panes.texts(.worker(1)).count == 1, "confirmed: not typed again")
    }

    @Test func aRateLimitWithoutARotatorAndOtherEventsAnswerNothing() async throws {
        for name in [HookEventName.stopFailure, .sessionEnd, .notification] {
            #expect(await router.handle(try event(name, .worker(2), ["error": "rate_limit"])) == .none)
        }
        #expect(await board.status(.worker(2))?.lastEvent == .notification)
    }
}
