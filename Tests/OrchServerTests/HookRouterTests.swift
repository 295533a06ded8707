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

    /// A transcript of worker-1's and an assistant entry for it (one per content block: the same id twice counts once).
    func transcript(_ name: String) -> String { setup.layout.home(.worker(1)) + "/.claude/projects/-work/\(name).jsonl" }

    func append(_ id: String, input: Int, output: Int, cacheRead: Int = 0, to path: String) throws {
        let line = #"{"type": "assistant", "message": {"id": "\#(id)", "usage": {"input_tokens": \#(input), "output_tokens": \#(output), "cache_read_input_tokens": \#(cacheRead), "cache_creation_input_tokens": 0}}}"#
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
        try handle.close()
    }

    /// Issue #15 point 5: every response's tokens from the transcript (once per message), the cost from the status
    /// line (what its session added since the last report; a new session from nothing), its windows kept; its state
    /// and the event log left alone.
    @Test func tokensFromTheTranscriptAndCostAndWindowsFromTheStatusLine() async throws {
        let router = HookRouter(board: board, layout: setup.layout, flow: flow, transcripts: TranscriptUsage(layout: setup.layout),
                                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        func report(_ session: String, cost: Double, fiveHour: Double? = nil) throws -> HookEvent {
            var fields: [String: Any] = ["session_id": session, "cost": ["total_cost_usd": cost], "transcript_path": transcript(session)]
            if let fiveHour { fields["rate_limits"] = ["five_hour": ["used_percentage": fiveHour, "resets_at": 1_900_000_000],
                                                       "seven_day": ["used_percentage": 12, "resets_at": 1_900_100_000]] }
            return try event(.statusLine, .worker(1), fields)
        }
        _ = await router.handle(try event(.sessionStart, .worker(1), ["session_id": "s1", "source": "startup"]))
        try append("m1", input: 1000, output: 20, to: transcript("s1"))
        try append("m1", input: 1000, output: 50, to: transcript("s1"))
        try append("m2", input: 500, output: 30, cacheRead: 4000, to: transcript("s1"))
        #expect(await router.handle(try report("s1", cost: 0.10)) == .none)
        #expect(await router.handle(try report("s1", cost: 0.15, fiveHour: 42)) == .none)
        await router.settle()
        var usage = try #require(await board.status(.worker(1))?.usage)
        #expect(usage.inputTokens == 1500 && usage.outputTokens == 50 && usage.cacheReadTokens == 4000 && abs(usage.costUSD - 0.15) < 1e-9,
                "\(usage)")
        #expect(usage.fiveHourPercent == 42 && usage.sevenDayPercent == 12 && usage.fiveHourResetsAt == 1_900_000_000
                && usage.sevenDayResetsAt == 1_900_100_000 && usage.utilisation == 42 && usage.reset(ofWindowsAt: 40) == 1_900_000_000)
        // A new session (a restart, a rotation): its transcript from the start, its cost from nothing.
        try append("m3", input: 200, output: 10, to: transcript("s2"))
        _ = await router.handle(try report("s2", cost: 0.02))
        await router.settle()
        usage = try #require(await board.status(.worker(1))?.usage)
        #expect(usage.inputTokens == 1700 && usage.outputTokens == 60 && abs(usage.costUSD - 0.17) < 1e-9 && usage.fiveHourPercent == 42)
        // Nonsense (negative, huge, of another type, a transcript elsewhere) counts as nothing; not an event of the turn.
        _ = await router.handle(try event(.statusLine, .worker(1), ["session_id": "s2", "cost": ["total_cost_usd": -5],
                                                                     "transcript_path": "/etc/passwd", "rate_limits": ["five_hour": ["used_percentage": 1e9]]]))
        await router.settle()
        usage = try #require(await board.status(.worker(1))?.usage)
        #expect(usage.inputTokens == 1700 && usage.outputTokens == 60 && usage.fiveHourPercent == 100)
        let state = await board.status(.worker(1))
        #expect(state?.working == true && state?.lastEvent == .sessionStart)
        var status = StatusReport(server: "running", target: "main", instances: [], tasks: [], credentials: [])
        status.instances = [.init(name: "worker-1", role: "worker", state: "idle", task: nil, branch: "orch/worker-1", ahead: nil, behind: nil,
                                  credential: nil, restarts: 0, lastHookSecondsAgo: nil, detail: nil)]
        status.addLive(statuses: await board.snapshot(), pool: nil)
        #expect(status.table.contains("1700/60") && status.table.contains("$0.17"), "\(status.table)")
        let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
        #expect(json.contains(#""inputTokens":1700"#) && json.contains(#""cacheReadTokens":4000"#) && json.contains(#""fiveHourPercent":100"#), "\(json)")
    }

    /// A transcript is read where the last read stopped, whole lines only; a replaced (shorter) one from its start.
    @Test func aTranscriptIsReadOnceAndOnlyWholeLines() async throws {
        let reader = TranscriptUsage(layout: setup.layout)
        let path = transcript("t")
        try append("a", input: 10, output: 1, to: path)
        let partial = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        partial.seekToEndOfFile()
        partial.write(Data(#"{"type": "assistant", "message": {"id": "b", "usage": {"input_tokens": 7"#.utf8))
        try partial.close()
        #expect(await reader.read(.worker(1), path: path).inputTokens == 10)
        #expect(await reader.read(.worker(1), path: path).inputTokens == 0, "read once; the unfinished line waits")
        let rest = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        rest.seekToEndOfFile()
        rest.write(Data(#", "output_tokens": 1}}}"#.utf8 + [0x0A]))
        try rest.close()
        #expect(await reader.read(.worker(1), path: path).inputTokens == 7)
        try FileManager.default.removeItem(atPath: path)
        try append("c", input: 3, output: 1, to: path)
        #expect(await reader.read(.worker(1), path: path).inputTokens == 3, "a new, shorter file is read from its start")
        #expect(await reader.read(.worker(2), path: path).inputTokens == 0, "only an instance's own transcripts")
        #expect(await reader.read(.worker(1), path: "/dev/zero").inputTokens == 0)
    }

    /// Issue #15 point 5: what a worker's sessions used on a task, from its hand-over to the Stop after it is done,
    /// goes to the event log once, with the task.
    @Test func aFinishedTasksTokensAndCostGoToTheEventLog() async throws {
        let events = try EventLog(file: setup.layout.events)
        let router = HookRouter(board: board, layout: setup.layout, flow: flow, events: events, transcripts: TranscriptUsage(layout: setup.layout),
                                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        func report(input: Int, output: Int, cost: Double) throws -> HookEvent {
            try append("m\(input)", input: input, output: output, to: transcript("s"))
            return try event(.statusLine, .worker(1), ["session_id": "s", "cost": ["total_cost_usd": cost], "transcript_path": transcript("s")])
        }
        let first = try setup.assign(1, "Write the notes")
        _ = try setup.assign(1, "Write the index")
        // Each event is counted before the next is written (the client's come seconds apart; here the reads are after the replies).
        _ = await router.handle(try report(input: 100, output: 10, cost: 0.01))
        await router.settle()
        #expect(try #require(TaskFlowUnitTests.reason(await router.handle(try event(.stop, .worker(1))))).contains("Next task \(first)"))
        await router.settle()
        _ = await router.handle(try report(input: 900, output: 70, cost: 0.09))
        try setup.commit(worker: 1, file: "notes.md", contents: "notes\n", trailer: first)
        _ = await router.handle(try event(.stop, .worker(1)))
        _ = await router.handle(try event(.stop, .worker(1)))
        await router.settle()
        await flow.settle()
        let logged = try String(contentsOfFile: setup.layout.events, encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }.filter { $0["event"] == "task-usage" }
        #expect(logged.count == 1, "\(logged)")
        #expect(logged.first?["task"] == first.description && logged.first?["inputTokens"] == "900" && logged.first?["outputTokens"] == "70"
                && logged.first?["costUSD"] == "0.0800", "\(logged)")
    }
}
