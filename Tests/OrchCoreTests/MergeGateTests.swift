import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// Runs the check with `sh -c` on this machine, counting runs: the gate's logic without a container.
final class LocalCheckRunner: MergeCheckRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var trees: [String] = []
    /// Runs while the first check runs (a worker pushing meanwhile, say).
    var during: (@Sendable () throws -> Void)?

    var runs: Int { lock.withLock { trees.count } }
    func identity() async -> String { "local sh" }
    func clear(_ place: GatePlace) async {}

    func run(_ check: MergeCheck, in place: GatePlace) async -> CheckRun {
        let first = lock.withLock { trees.append(place.worktree); return trees.count == 1 }
        if first { try? during?() }
        guard let result = try? TestSupport.run("/bin/sh", ["-c", check.command + " 2>&1"], in: place.worktree) else {
            return CheckRun(exitCode: nil, seconds: 0, tail: "cannot run sh")
        }
        return CheckRun(exitCode: result.status, seconds: 0.01, tail: result.stdout)
    }
}

@Suite struct MergeGateTests {
    /// A bare clone with one task per worker 1…4 and their branches.
    func stateRepository(_ dir: ScratchDirectory, workers: Int = 2) throws -> Repository {
        try Fixtures.repository(at: dir("seed"), files: ["app.txt": "ok\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("state.git"), in: dir.path)
        let repo = try Repository.open(at: dir("state.git"))
        for worker in 1...workers { _ = try TaskAssignment(worker: worker, text: "task \(worker)", branch: "main").commit(to: repo) }
        let tip = try #require(try repo.branchTip("main"))
        for worker in 1...workers { try repo.createBranch("orch/worker-\(worker)", at: tip) }
        return repo
    }

    func gate(_ dir: ScratchDirectory, command: String = "! grep -r broken --include=*.txt .", batch: Int = 1, clean: Bool = false,
              runner: LocalCheckRunner = LocalCheckRunner(), events: EventBox? = nil) throws -> MergeGate {
        let check = MergeCheck(command: command, timeoutSeconds: 30, batchSize: batch, clean: clean)
        let configuration = MergeGate.Configuration(repository: dir("state.git"), target: "main", check: check)
        guard let events else { return try MergeGate(configuration: configuration, runner: runner) }
        return try MergeGate(configuration: configuration, runner: runner, observer: { event in await events.add(event) })
    }

    actor EventBox {
        var events: [MergeGate.CheckEvent] = []
        func add(_ event: MergeGate.CheckEvent) { events.append(event) }
    }

    @Test func aPassingMergeLandsAndAFailingOneLeavesTheTargetAndARecordForItsWorker() async throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir)
        try Fixtures.commit(["one.txt": "fine"], on: "orch/worker-1", message: "one\n\nOrch-Task: T-0001", in: dir("state.git"))
        let broken = try Fixtures.commit(["two.txt": "broken"], on: "orch/worker-2", message: "two\n\nOrch-Task: T-0002", in: dir("state.git"))
        let gate = try gate(dir)
        let entries = try await gate.enqueue(["orch/worker-1", "orch/worker-2"])
        let reports = try await gate.wait(for: entries)
        #expect(reports.map { $0?.kind } == [.fastForwarded, .checkFailed])
        let tipAfterFirst = try git("rev-parse", "main", in: dir("state.git"))
        #expect(try git("show", "main:WORKER_1_TASK_LIST.md", in: dir("state.git")).contains("- [x] T-0001"))
        // The failure: main is where the first merge left it; the record holds the tip, the tasks and the output.
        #expect((try? git("cat-file", "-e", "main:two.txt", in: dir("state.git"))) == nil)
        #expect(reports[1]?.log?.contains("two.txt") == true && reports[1]?.message == "`! grep -r broken --include=*.txt .` exited 1")
        #expect(reports[1].map { $0.line(target: "main") }?.contains("orch hands the output to worker-2 to fix") == true)
        var failures = try CheckFailure.all(in: repo)
        #expect(failures.count == 1 && failures[0].branch == "orch/worker-2" && failures[0].tip == broken && failures[0].tasks == ["T-0002"])
        #expect(failures[0].isOpen && failures[0].tail.contains("two.txt:broken"))
        // The same tip again: the cached failure, main untouched, the record as it was.
        let again = try await gate.wait(for: try await gate.enqueue(["orch/worker-2"]))
        #expect(again.first??.kind == .checkFailed)
        #expect(try git("rev-parse", "main", in: dir("state.git")) == tipAfterFirst)
        #expect(try CheckFailure.all(in: repo) == failures)
        // A "fix" that does not fix it: a new failure, open, at the new tip.
        let tried = try Fixtures.commit(["note.txt": "tried"], on: "orch/worker-2", message: "try", in: dir("state.git"))
        #expect(try await gate.wait(for: try await gate.enqueue(["orch/worker-2"])).first??.kind == .checkFailed)
        failures = try CheckFailure.all(in: repo)
        #expect(failures[0].tip == tried && failures[0].isOpen)
        // The worker fixes it: it lands, ticking its task, and the failure is closed.
        try Fixtures.commit(["two.txt": "fixed"], on: "orch/worker-2", message: "fix", in: dir("state.git"))
        let fixed = try await gate.wait(for: try await gate.enqueue(["orch/worker-2"]))
        #expect(fixed.first??.kind == .merged)
        #expect(try git("show", "main:WORKER_2_TASK_LIST.md", in: dir("state.git")).contains("- [x] T-0002"))
        #expect(try CheckFailure.all(in: repo).allSatisfy { !$0.isOpen })
        #expect(try await gate.entries().isEmpty)
    }

    @Test func theQueueKeepsTheOrderBranchesBecameReadyInAndABranchOnce() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir, workers: 3)
        let queue = MergeQueue(target: "main")
        let now = Date()
        let second = try queue.enqueue("orch/worker-2", in: repo, now: now)
        _ = try queue.enqueue("orch/worker-3", in: repo, now: now.addingTimeInterval(1))
        _ = try queue.enqueue("orch/worker-1", in: repo, now: now.addingTimeInterval(2))
        // Queued again: it keeps its place.
        #expect(try queue.enqueue("orch/worker-2", in: repo, now: now.addingTimeInterval(3)) == second)
        #expect(try queue.entries(in: repo).map(\.branch) == ["orch/worker-2", "orch/worker-3", "orch/worker-1"])
        try queue.finish(second, with: MergeReport(branch: "orch/worker-2", kind: .upToDate), in: repo)
        #expect(try queue.entries(in: repo).map(\.branch) == ["orch/worker-3", "orch/worker-1"])
        #expect(try queue.result(of: second, in: repo)?.kind == .upToDate)
    }

    @Test func branchesAreGatedInQueueOrderAgainstTheLatestTarget() async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir, workers: 3)
        // Each check records the files it saw: the second must see the first's merge.
        for worker in [2, 3, 1] {
            try Fixtures.commit(["w\(worker).txt": "\(worker)"], on: "orch/worker-\(worker)", message: "w\(worker)", in: dir("state.git"))
        }
        let log = dir("seen.log")
        let gate = try gate(dir, command: "ls w*.txt | tr '\\n' ' ' >> \(log); echo >> \(log)")
        var entries: [MergeQueue.Entry] = []
        for worker in [2, 3, 1] { entries += try await gate.enqueue(["orch/worker-\(worker)"]) }
        let reports = try await gate.wait(for: entries)
        #expect(reports.allSatisfy { $0?.kind == .fastForwarded || $0?.kind == .merged })
        let seen = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(seen == ["w2.txt", "w2.txt w3.txt", "w1.txt w2.txt w3.txt"])
    }

    @Test func anUnchangedMergedTreeIsNotCheckedTwiceEvenAfterAnAssignment() async throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir)
        try Fixtures.commit(["two.txt": "broken"], on: "orch/worker-2", message: "two", in: dir("state.git"))
        let runner = LocalCheckRunner()
        let events = EventBox()
        let gate = try gate(dir, runner: runner, events: events)
        _ = try await gate.wait(for: try await gate.enqueue(["orch/worker-2"]))
        #expect(runner.runs == 1)
        // Only a task list changed on the target: the same code, the cached result.
        _ = try TaskAssignment(worker: 1, text: "more", branch: "main").commit(to: repo)
        let again = try await gate.wait(for: try await gate.enqueue(["orch/worker-2"]))
        #expect(again.first??.kind == .checkFailed)
        #expect(runner.runs == 1)
        #expect(await events.events.map(\.cached) == [false, true])
        // Another command is another key.
        let other = try self.gate(dir, command: "true", runner: runner)
        #expect(try await other.wait(for: try await other.enqueue(["orch/worker-2"])).first??.kind != .checkFailed)
        #expect(runner.runs == 2)
    }

    @Test func aFailingBatchIsBisectedToTheBranchThatBreaksIt() async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir, workers: 4)
        for worker in 1...4 {
            try Fixtures.commit(["w\(worker).txt": worker == 3 ? "broken" : "fine"], on: "orch/worker-\(worker)",
                                message: "w\(worker)\n\nOrch-Task: T-000\(worker)", in: dir("state.git"))
        }
        let runner = LocalCheckRunner()
        let gate = try gate(dir, batch: 4, runner: runner)
        let reports = try await gate.wait(for: try await gate.enqueue((1...4).map { "orch/worker-\($0)" }))
        #expect(reports.map { $0?.kind == .checkFailed } == [false, false, true, false])
        // All four (fails), 1+2 (passes, lands), 3+4 (the same tree as all four: cached), 3 (fails), 4 (passes).
        #expect(runner.runs == 4)
        for worker in [1, 2, 4] { #expect((try? git("cat-file", "-e", "main:w\(worker).txt", in: dir("state.git"))) != nil) }
        #expect((try? git("cat-file", "-e", "main:w3.txt", in: dir("state.git"))) == nil)
    }

    @Test func onlyOneGateRunsPerTargetAcrossProcesses() async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir)
        try Fixtures.commit(["one.txt": "fine"], on: "orch/worker-1", message: "one", in: dir("state.git"))
        let gate = try gate(dir)
        // Another process holds the lock (flock(1), as a second orch merge would).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        try FileManager.default.createDirectory(atPath: gate.place.root, withIntermediateDirectories: true)
        // It holds the lock until the test makes the file `release` (killing flock would leave its child holding it).
        holder.arguments = [gate.place.lock, "sh", "-c", "i=0; while [ ! -e \(dir("release")) ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done"]
        try holder.run()
        defer { if holder.isRunning { holder.terminate() } }
        for _ in 0..<500 where !GateLock.isHeld(gate.place) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(GateLock.isHeld(gate.place))
        let entries = try await gate.enqueue(["orch/worker-1"])
        #expect(try await gate.drainIfFree() == false)
        #expect(try await gate.results(of: entries) == [nil])
        #expect(try await gate.wait(for: entries, until: Date().addingTimeInterval(0.5)) == [nil], "it waits its turn")
        // Waiting takes its turn once the other process lets go.
        FileManager.default.createFile(atPath: dir("release"), contents: nil)
        let reports = try await gate.wait(for: entries)
        #expect(reports.first??.kind == .fastForwarded)
    }

    @Test func aBranchWhoseGateKeepsFailingIsRefusedAfterThreeTriesAndTheQueueGoesOn() async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir)
        // A file name no file system takes: its checkout fails every time, whatever the gate wipes.
        try Fixtures.commit([String(repeating: "n", count: 300) + ".txt": "x"], on: "orch/worker-1", message: "long", in: dir("state.git"))
        try Fixtures.commit(["two.txt": "fine"], on: "orch/worker-2", message: "two", in: dir("state.git"))
        let gate = try gate(dir)
        let entries = try await gate.enqueue(["orch/worker-1", "orch/worker-2"])
        for _ in 0..<2 { await #expect(throws: (any Error).self) { try await gate.drainIfFree() } }
        #expect(try await gate.drainIfFree())
        let reports = try await gate.results(of: entries)
        #expect(reports[0]?.kind == .refused && reports[0]?.message?.contains("failed 3 times") == true, "\(reports)")
        #expect(reports[1]?.kind == .fastForwarded)
    }

    @Test func aBranchThatMovesWhileItsOlderTipIsCheckedIsQueuedAgain() async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir)
        try Fixtures.commit(["one.txt": "fine"], on: "orch/worker-1", message: "one\n\nOrch-Task: T-0001", in: dir("state.git"))
        let runner = LocalCheckRunner()
        let path = dir("state.git")
        runner.during = { try Fixtures.commit(["more.txt": "more"], on: "orch/worker-1", message: "more", in: path) }
        let gate = try gate(dir, runner: runner)
        let first = try await gate.wait(for: try await gate.enqueue(["orch/worker-1"]))
        #expect(first.first??.kind == .fastForwarded)
        // Queued again for what it pushed meanwhile, and gated in the same turn.
        #expect(runner.runs == 2)
        #expect(try await gate.entries().isEmpty)
        #expect((try? git("cat-file", "-e", "main:more.txt", in: dir("state.git"))) != nil)
    }

    @Test(arguments: [false, true])
    func whatACheckLeavesInTheWorktreeStaysForTheNextUnlessClean(clean: Bool) async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir)
        try Fixtures.commit(["one.txt": "1"], on: "orch/worker-1", message: "one", in: dir("state.git"))
        try Fixtures.commit(["two.txt": "2"], on: "orch/worker-2", message: "two", in: dir("state.git"))
        let gate = try gate(dir, command: "test ! -e leftover.o && touch leftover.o", clean: clean)
        let reports = try await gate.wait(for: try await gate.enqueue(["orch/worker-1", "orch/worker-2"]))
        #expect(reports[0]?.kind == .fastForwarded)
        #expect(reports[1]?.kind == (clean ? .merged : .checkFailed), "\(reports)")
    }

    @Test func aCheckCutShortLeavesTheBranchQueuedAndTheTargetUnchecked() async throws {
        let dir = ScratchDirectory()
        _ = try stateRepository(dir)
        try Fixtures.commit(["one.txt": "fine"], on: "orch/worker-1", message: "one", in: dir("state.git"))
        let before = try git("rev-parse", "main", in: dir("state.git"))
        let gate = try gate(dir, command: "sleep 2")
        let entries = try await gate.enqueue(["orch/worker-1"])
        let drain = Task { try await gate.drainIfFree() }
        for _ in 0..<200 where GateRunning.current(gate.place) == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(GateRunning.current(gate.place)?.branches == ["orch/worker-1"])
        drain.cancel()
        _ = try? await drain.value
        // As after a crash: main did not move, the entry waits for the next gate, which checks it again.
        #expect(try git("rev-parse", "main", in: dir("state.git")) == before)
        #expect(try await gate.entries().map(\.id) == entries.map(\.id))
        let runner = LocalCheckRunner()
        let next = try self.gate(dir, command: "sleep 2", runner: runner)
        #expect(try await next.wait(for: entries).first??.kind == .fastForwarded)
        #expect(runner.runs == 1, "checked again, not taken from a cache")
    }
}
