import Foundation
import Logging
import OrchCore
import Testing
import TestSupport
@testable import OrchFlow
@testable import OrchServer

/// The manager's inbox: notices queued once, handed over by its Stop hook or
/// typed into its pane when it is idle, each recorded so a restart does not repeat it.
@Suite struct ManagerInboxTests {
    let setup: TaskFlowUnitTests.Setup
    let flow: TaskFlow

    init() throws {
        setup = try TaskFlowUnitTests.Setup()
        flow = setup.flow()
    }

    @Test func noticesGoOutByTheStopHookOnceInOrderAndAreRecorded() async throws {
        await flow.notify(ManagerNotice(.upstreamConflict(remoteTip: "abc"), text: "first"))
        await flow.notify(ManagerNotice(.paused(.worker(1), until: 7), text: "second"))
        await flow.notify(ManagerNotice(.upstreamConflict(remoteTip: "abc"), text: "first again"))
        let reply = try #require(TaskFlowUnitTests.reason(await flow.managerStopped()))
        #expect(reply.contains("first") && reply.contains("second") && !reply.contains("first again"))
        #expect(reply.range(of: "first")!.lowerBound < reply.range(of: "second")!.lowerBound)
        #expect(await flow.managerStopped() == .none)
        #expect(NoticeRecord(file: setup.layout.notices).contains("upstream-conflict:abc"))
        #expect(NoticeRecord(file: setup.layout.notices).contains("paused:worker-1:7"))

        let restarted = setup.flow()
        await restarted.notify(ManagerNotice(.upstreamConflict(remoteTip: "abc"), text: "first"))
        #expect(await restarted.managerStopped() == .none, "a notice delivered before a restart is not sent again")
    }

    @Test func aNoticeCountsAsDeliveredOnlyOnceTheManagersNextStopConfirmsItElseItComesAgain() async throws {
        await flow.notify(ManagerNotice(.done(TaskID(4)), text: "T-0004 is done"))
        #expect(try #require(TaskFlowUnitTests.reason(await flow.managerStopped(continuing: false))).contains("T-0004 is done"))
        #expect(!NoticeRecord(file: setup.layout.notices).contains("done:T-0004"), "handed over, not yet confirmed")
        // Its next Stop is not the continuation of that reply (orch hook gave up, say): the notice comes again.
        let again = try #require(TaskFlowUnitTests.reason(await flow.managerStopped(continuing: false)))
        #expect(again.contains("T-0004 is done"))
        // A server that dies before the confirmation: the next one hands it over too.
        let restarted = setup.flow()
        await restarted.notify(ManagerNotice(.done(TaskID(4)), text: "T-0004 is done"))
        #expect(try #require(TaskFlowUnitTests.reason(await restarted.managerStopped(continuing: false))).contains("T-0004 is done"))
        // It went on with that reply: confirmed, recorded, not sent again.
        #expect(await restarted.managerStopped(continuing: true) == .none)
        #expect(NoticeRecord(file: setup.layout.notices).contains("done:T-0004"))
        await restarted.notify(ManagerNotice(.done(TaskID(4)), text: "T-0004 is done"))
        #expect(await restarted.managerStopped(continuing: false) == .none)

        // A prompt instead of the continuation (the reply was lost and it went idle) also brings it back.
        await restarted.notify(ManagerNotice(.done(TaskID(5)), text: "T-0005 is done"))
        _ = await restarted.managerStopped(continuing: false)
        await restarted.promptSubmitted(.manager, prompt: "what next?")
        #expect(try #require(TaskFlowUnitTests.reason(await restarted.managerStopped(continuing: false))).contains("T-0005 is done"))
    }

    @Test func anIdleManagerGetsNoticesTypedConfirmedByItsPromptElseTypedAgainUpToALimit() async throws {
        #expect(await flow.managerStopped() == .none, "nothing pending: it is idle")
        await flow.notify(ManagerNotice(.done(TaskID(3)), text: "T-0003 is done"))
        // One clock for the whole test: a busy machine must not age the typed notice.
        let start = Date()
        await flow.poll(now: start)
        var typed = await setup.panes.texts(.manager)
        #expect(typed.count == 1 && typed[0].hasPrefix("[orch] ") && typed[0].contains("T-0003 is done"), "\(typed)")
        await flow.poll(now: start.addingTimeInterval(1))
        #expect(await setup.panes.texts(.manager).count == 1, "not typed again before confirmSeconds")
        for attempt in 2...6 { await flow.poll(now: start.addingTimeInterval(Double(attempt) * 10)) }
        typed = await setup.panes.texts(.manager)
        #expect(typed.count == PaneDelivery.maximumAttempts, "typed again after each wait, \(PaneDelivery.maximumAttempts) times at most")
        await flow.promptSubmitted(.manager, prompt: typed[0])
        #expect(NoticeRecord(file: setup.layout.notices).contains("done:T-0003"))
        #expect(await flow.managerStopped() == .none, "delivered through the pane: not again by the hook")
    }

    @Test func aPromptOfItsOwnMakesTheManagerBusyAndNothingIsTyped() async throws {
        _ = await flow.managerStopped()
        await flow.promptSubmitted(.manager, prompt: "a person typed this")
        await flow.notify(ManagerNotice(.failed(TaskID(2)), text: "T-0002 failed"))
        await flow.poll(now: Date())
        #expect(await setup.panes.texts(.manager).isEmpty)
        let reply = try #require(TaskFlowUnitTests.reason(await flow.managerStopped()))
        #expect(reply.contains("T-0002 failed"))
    }
}
