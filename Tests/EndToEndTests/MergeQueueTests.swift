import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// Issue #16: the demo with a merge check. The worker on "Write the FAQ" commits
/// a FAQ with a TODO line; it merges cleanly but fails the check, so main never
/// holds it: the worker gets the failure (the check's output) back as a
/// conflict comes back, fixes it, the manager hears of it and merges again,
/// and the fixed branch lands through the queue.
@Suite(.serialized) struct MergeQueueTests {
    static let check = "grep -rn TODO docs && exit 1 || exit 0"

    @Test func aMergeThatFailsTheCheckLeavesMainAndComesBackToItsWorkerUntilItLands() async throws {
        let port = try RawSocket.freePort()
        let run = try await Run(dashboardPort: port, extraConfig: #", "mergeCheck": {"command": "\#(Self.check)", "timeout": 120}"#)
        let serve = try run.startServe()
        try await withCleanup {
            // Every task merged; every tip main takes is looked at on the way.
            var tipsWithTODO: Set<String> = []
            var tipsSeen: Set<String> = []
            let finished = try await ServeTests.waitUntil(300) {
                if let repository = try? Repository.open(at: run.dir("state", "repo.git")), let tip = try? repository.branchTip("main"),
                   tipsSeen.insert(tip.hex).inserted,
                   let faq = try? repository.readFile("docs/FAQ.md", at: tip), String(decoding: faq, as: UTF8.self).contains("TODO") {
                    tipsWithTODO.insert(tip.hex)
                }
                guard let ledger = run.ledger() else { return false }
                return ledger.tasks.count == run.taskCount && ledger.tasks.allSatisfy { $0.state == .merged }
            }
            let ledger = try #require(run.ledger())
            #expect(finished, "\(ledger.tasks.map { "\($0.id) \($0.state) \($0.text)" })\n\(run.serveOutput)")
            let faq = try #require(ledger.tasks.first { $0.text == "Write the FAQ" })
            let branch = "orch/worker-\(faq.worker)"

            // main never held the TODO (the worker's own commits that had it are in its history, as merged parents).
            #expect(tipsWithTODO.isEmpty && tipsSeen.count > 5, "\(tipsWithTODO) of \(tipsSeen.count) tips")
            let repository = try Repository.open(at: run.dir("state", "repo.git"))
            let main = try #require(try repository.branchTip("main"))
            #expect(String(decoding: try #require(try repository.readFile("docs/FAQ.md", at: main)), as: UTF8.self).contains("Ask in the issue tracker."))
            // Each trailer once on main.
            let trailers = try repository.commits(from: main, excluding: nil).flatMap { $0.trailerValues("Orch-Task") }
            for task in ledger.tasks { #expect(trailers.filter { $0 == task.id.description }.count == 1, "\(task.id)") }

            // The checks are in the event log: at least one failed, and passes; the failure went to the FAQ's worker;
            // the manager heard of it once, and once that the worker had worked on it.
            let events = ServeTests.events(run.dir)
            let checks = events.filter { $0["event"] == "merge-check" }
            #expect(checks.contains { $0["result"] == "failed" } && checks.contains { $0["result"] == "passed" }, "\(checks)")
            #expect(events.contains { $0["event"] == "check-failure-delivered" && $0["instance"] == "worker-\(faq.worker)" }, "\(events.suffix(30))")
            let notices = events.filter { $0["event"] == "notified" }.flatMap { ($0["notices"] ?? "").split(separator: " ") }
            let failed = notices.filter { $0.hasPrefix("check-failed:\(branch):") }
            #expect(failed.count >= 1 && failed.count == Set(failed).count, "\(notices)")
            // (The fix may land on a merge another notice asked for, before this one reaches the manager.)
            let toldFixed = try await ServeTests.waitUntil(60) {
                ServeTests.events(run.dir).contains { $0["event"] == "notified" && $0["notices"]?.contains("check-fixed:\(branch):") == true }
            }
            #expect(toldFixed, "\(notices)")

            // orch status shows the queue and the branch's last failure.
            let live = try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state"), "--json"])
            let report = try JSONDecoder().decode(QueueStatus.self, from: Data(live.stdout.utf8))
            #expect(report.mergeQueue?.command == Self.check)
            #expect(report.mergeQueue?.failures.contains { $0.branch == branch && $0.fixed } == true, "\(live.stdout)")
            let table = try TestSupport.run(orchExecutable, ["status", "--config", run.dir("config"), "--state", run.dir("state")])
            #expect(table.stdout.contains("merge queue (`\(Self.check)`)") && table.stdout.contains("last failure"), "\(table.stdout)")

            // The metrics count the checks by result and time them; the dashboard's page shows the queue.
            let metrics = try await runDetached("curl", ["-sf", "http://127.0.0.1:\(port)/metrics"])
            #expect(metrics.stdout.contains(#"orch_merge_checks_total{result="failed"}"#) && metrics.stdout.contains("orch_merge_check_seconds_count"),
                    "\(metrics.stdout.split(separator: "\n").filter { $0.contains("merge_check") })")
            let page = try await runDetached("curl", ["-sf", "http://127.0.0.1:\(port)/"])
            #expect(page.stdout.contains("merge queue (") && page.stdout.contains("q.failures"))

            // A person's orch merge on the host goes through the server's queue (the operator's token), and --enqueue returns at once.
            let queued = try TestSupport.run(orchExecutable, ["merge", "--config", run.dir("config"), "--state", run.dir("state"), "--enqueue", "--all"])
            #expect(queued.status == 0 && queued.stdout.contains("queued for the merge check"), "\(queued.stdout)\(queued.stderr)")
            let waited = try TestSupport.run(orchExecutable, ["merge", "--config", run.dir("config"), "--state", run.dir("state"), "--all"])
            #expect(waited.status == 0 && waited.stdout.contains("already merged"), "\(waited.stdout)\(waited.stderr)")
            try await run.stop(serve)
            // Nothing of the gate is left running.
            let left = try TestSupport.run("docker", ["ps", "-a", "--filter", "name=orch-gate-", "--format", "{{.Names}}"])
            #expect(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(left.stdout)")
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    struct QueueStatus: Decodable {
        struct Queue: Decodable {
            struct Failure: Decodable { let branch: String; let fixed: Bool }
            let command: String
            let failures: [Failure]
        }
        let mergeQueue: Queue?
    }
}

private typealias Run = TaskFlowTests.Run
