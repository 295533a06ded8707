import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// The work reaches the user's repository (a bare one over file://) while people
/// push to it too: every merge lands on its main without a force, a person's
/// commit and task line are taken in, the remote going away does not stop the
/// run, and an upstream conflict goes to the manager, who resolves it.
@Suite(.serialized) struct RemoteSyncEndToEndTests {
    /// Remote tips seen over a run, to check that each is an ancestor of the last (nothing forced).
    final class TipRecorder: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []
        var tips: [String] { lock.withLock { seen } }
        func record(_ tip: String) { lock.withLock { if seen.last != tip { seen.append(tip) } } }
    }

    @Test func everyMergeReachesTheRemoteAndUpstreamWorkIsKept() async throws {
        let run = try await TaskFlowTests.Run(taskSeconds: 2, extraConfig: #", "remote": {"fetchSeconds": 2}"#)
        let origin = run.dir("origin")
        let away = run.dir("origin-away")
        let recorder = TipRecorder()
        let watching = Task.detached {
            while !Task.isCancelled {
                if let tip = try? git("rev-parse", "main", in: origin) { recorder.record(tip) }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let serve = try run.startServe()
        try await withCleanup {
            // The manager's plan reaches the remote.
            let planned = try await ServeTests.waitUntil(60) { (try? Self.taskLines(in: origin).count) == run.taskCount }
            #expect(planned, "\(run.serveOutput)")

            // A person pushes a commit and a task line without an id to the same main.
            try Self.personCommits(in: origin, workspace: run.dir("person-1"), message: "A person's note") { work in
                try "from a person\n".write(toFile: work + "/person.txt", atomically: true, encoding: .utf8)
                let list = work + "/WORKER_1_TASK_LIST.md"
                try (String(contentsOfFile: list, encoding: .utf8) + "- [ ] Set extra.txt to upstream\n").write(toFile: list, atomically: true, encoding: .utf8)
            }
            let takenIn = try await ServeTests.waitUntil(30) { (try? git("show", "main:person.txt", in: run.dir("state", "repo.git"))) != nil }
            #expect(takenIn, "\(run.serveOutput)")
            let extra = try #require(run.ledger()?.tasks.first { $0.text == "Set extra.txt to upstream" }, "the person's task got an id")
            #expect(extra.id == TaskID(run.taskCount + 1) && extra.worker == 1)

            // The remote goes away; a person adds extra.txt there meanwhile, while orch's worker-1 writes it too.
            try FileManager.default.moveItem(atPath: origin, toPath: away)
            // A push of orch's that the move cut off leaves its ref lock behind; an admin would remove it.
            try await Task.sleep(for: .milliseconds(500))
            try? FileManager.default.removeItem(atPath: away + "/refs/heads/main.lock")
            try Self.personCommits(in: away, workspace: run.dir("person-2"), message: "A person writes extra.txt") { work in
                try "written by a person\n".write(toFile: work + "/extra.txt", atomically: true, encoding: .utf8)
            }
            let mergedLocally = try await ServeTests.waitUntil(180) { run.ledger()?.task(extra.id)?.state == .merged }
            #expect(mergedLocally, "the run goes on while the remote is away: \(run.serveOutput.suffix(3000))")
            let status = try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state"), "--json"])
            let remote = try JSONDecoder().decode(RemoteField.self, from: Data(status.stdout.utf8)).remote
            #expect(remote?.lastError?.contains(origin) == true && (remote?.ahead ?? 0) > 0, "\(status.stdout)")
            #expect(try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state")]).stdout.contains("remote: file://\(origin)"))

            // Back: orch's push is refused, it fetches, the conflict on extra.txt goes to the manager, who merges both sides.
            try FileManager.default.moveItem(atPath: away, toPath: origin)
            let total = run.taskCount + 1
            let done = try await ServeTests.waitUntil(180) {
                guard let local = try? git("rev-parse", "main", in: run.dir("state", "repo.git")),
                      (try? git("rev-parse", "main", in: origin)) == local,
                      let ledger = run.ledger() else { return false }
                return ledger.tasks.count == total && ledger.counts[.merged, default: 0] == total
                    && (try? git("show", "main:extra.txt", in: origin))?.contains("written by a person") == true
            }
            #expect(done, "\(run.serveOutput.suffix(4000))")
            let events = ServeTests.events(run.dir)
            #expect(events.contains { $0["event"] == "upstream-conflict" && $0["paths"] == "extra.txt" }, "\(events.suffix(30))")
            #expect(events.contains { $0["event"] == "notified" && $0["notices"]?.contains("upstream-conflict:") == true })
            let extraText = try git("show", "main:extra.txt", in: origin)
            #expect(extraText.contains("written by a person") && extraText.contains("upstream"), "both sides: \(extraText)")
            try await run.stop(serve)
            #expect(run.serveOutput.contains("main is on file://\(origin)"), "\(run.serveOutput.suffix(1500))")
        } cleanup: {
            watching.cancel()
            await run.cleanUp(serve)
        }
        // Nothing was forced: every tip the remote showed is in its final history.
        let final = try git("rev-parse", "main", in: origin)
        for tip in recorder.tips {
            #expect(try TestSupport.run("git", ["-C", origin, "merge-base", "--is-ancestor", tip, final]).status == 0, "\(tip) was dropped from main")
        }
        #expect(recorder.tips.count >= 3, "\(recorder.tips)")
        // Every task's merge, both persons' commits, and orch's branches for review.
        let lines = try Self.taskLines(in: origin)
        #expect(lines.count == run.taskCount + 1 && lines.allSatisfy { $0.hasPrefix("- [x] ") }, "\(lines)")
        #expect(Set(lines.map { $0.dropFirst(6).prefix(6) }).count == lines.count, "ids are unique: \(lines)")
        #expect(try git("show", "main:person.txt", in: origin) == "from a person")
        #expect(try git("rev-parse", "orch/worker-1", in: origin) == (try git("rev-parse", "orch/worker-1", in: run.dir("state", "repo.git"))))
        // Commits name the instance that wrote them.
        let authors = try git("log", "--format=%an <%ae>", "orch/worker-1", in: origin)
        #expect(authors.contains("orch worker-1"), "\(authors)")
    }

    struct RemoteField: Decodable {
        struct Remote: Decodable { let lastError: String?; let ahead: Int? }
        let remote: Remote?
    }

    static func taskLines(in repository: String) throws -> [String] {
        try (1...3).flatMap { worker in
            try git("show", "main:WORKER_\(worker)_TASK_LIST.md", in: repository).split(separator: "\n").map(String.init).filter { $0.hasPrefix("- [") }
        }
    }

    /// A person's commit on the remote's main, pushed with the git CLI (pulled and pushed again if orch got there first).
    static func personCommits(in remote: String, workspace: String, message: String, change: (String) throws -> Void) throws {
        try git("clone", "-q", remote, workspace, in: "/")
        try change(workspace)
        try git("add", "-A", in: workspace)
        try git("commit", "-qm", message, in: workspace)
        for attempt in 1...10 {
            do {
                try git("push", "-q", "origin", "main", in: workspace)
                return
            } catch where attempt < 10 {
                try git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main", in: workspace)
            }
        }
    }
}
