import Foundation
import GitKit
import Logging
import OrchCore
import Testing
import TestSupport
@testable import OrchFlow
@testable import OrchServer

/// The task flow against real repositories and worktrees, with the panes
/// replaced by a recorder: what each hook answers and what gets typed where.
@Suite struct TaskFlowUnitTests {
    actor Panes {
        var typed: [(InstanceName, String)] = []
        func add(_ instance: InstanceName, _ text: String) { typed.append((instance, text)) }
        func texts(_ instance: InstanceName) -> [String] { typed.filter { $0.0 == instance }.map(\.1) }
    }

    /// A prepared workspace with two workers.
    struct Setup {
        let dir = ScratchDirectory()
        let layout: StateLayout
        let panes = Panes()

        init() throws {
            try Fixtures.repository(at: dir("origin"), files: ["PROJECT_DIRECTION.md": "# x\n", "shared.txt": "base\n"])
            layout = StateLayout(root: dir("state"))
            _ = try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 2, layout: layout)
        }

        func flow(reminders: Int = 2) -> TaskFlow {
            var policy = TaskFlow.Policy()
            policy.reminders = reminders
            policy.confirmSeconds = 5
            let panes = panes
            return TaskFlow(configuration: .init(target: "main", workerCount: 2, layout: layout, policy: policy),
                            typer: { instance, text in await panes.add(instance, text) }, events: nil, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        }

        @discardableResult
        func assign(_ worker: Int, _ text: String) throws -> TaskID {
            try TaskAssignment(worker: worker, text: text, branch: "main").commit(to: Repository.open(at: layout.clone))
        }

        /// The worker commits in its clone, as Claude would, and its Stop hook hands the branch back.
        func commit(worker: Int, file: String, contents: String, trailer: TaskID?) throws {
            let branch = InstanceName.worker(worker).branch
            let worktree = try Fixtures.instanceClone(of: branch, from: layout.clone, at: layout.worktree(.worker(worker)))
            _ = try? git("pull", "-q", "--ff-only", "origin", branch, in: worktree)
            try Fixtures.write([file: contents], in: worktree)
            try git("add", "-A", in: worktree)
            let result = try run("git", ["commit", "-q", "-m", "work"] + (trailer.map { ["-m", "Orch-Task: \($0)"] } ?? []), in: worktree, environment: gitEnvironment)
            #expect(result.status == 0, "\(result.stderr)")
            try Fixtures.handBack(branch, from: worktree)
        }

        func ledger() throws -> TaskLedger { try TaskLedger(repository: Repository.open(at: layout.clone), target: "main") }

        func ledger(after flow: TaskFlow) async throws -> TaskLedger {
            await flow.settle()
            return try ledger()
        }
    }

    static func reason(_ reply: HookReply) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: String], object["decision"] == "block" else { return nil }
        return object["reason"]
    }

    @Test func aStopWithTheTaskDoneGetsTheNextOneWithItsTrailerAndTheManagerHearsOnce() async throws {
        let setup = try Setup()
        let first = try setup.assign(1, "Write the notes")
        let second = try setup.assign(1, "Write the FAQ")
        let flow = setup.flow()

        let reply = try #require(Self.reason(await flow.workerStopped(1)))
        #expect(reply.contains("Next task \(first): Write the notes") && reply.contains("\nOrch-Task: \(first)\n"))
        #expect(try await setup.ledger(after: flow).task(first)?.state == .delivered)

        try setup.commit(worker: 1, file: "notes.md", contents: "notes\n", trailer: first)
        let next = try #require(Self.reason(await flow.workerStopped(1)))
        #expect(next.contains("Orch-Task: \(second)"))
        #expect(try await setup.ledger(after: flow).task(first)?.state == .done)

        let notices = try #require(Self.reason(await flow.managerStopped()))
        #expect(notices.contains("\(first) is done on orch/worker-1") && notices.contains("orch merge worker-1"))
        // Delivered once: the next stop of the manager is allowed.
        #expect(await flow.managerStopped() == .none)
    }

    @Test func aStopWithTheTaskNotDoneIsRemindedThenTheTaskFailsAndTheManagerIsTold() async throws {
        let setup = try Setup()
        let task = try setup.assign(2, "Fix the bug")
        let flow = setup.flow(reminders: 2)
        _ = await flow.workerStopped(2)
        for count in 1...2 {
            let reminder = try #require(Self.reason(await flow.workerStopped(2)))
            #expect(reminder.contains("\(task) is not done") && reminder.contains("reminder \(count) of 2") && reminder.contains("Orch-Task: \(task)"))
        }
        #expect(await flow.workerStopped(2) == .none, "after the reminders the stop is allowed")
        #expect(try await setup.ledger(after: flow).task(task)?.state == .failed)
        let notices = try #require(Self.reason(await flow.managerStopped()))
        #expect(notices.contains("\(task) (worker-2) failed"))
        #expect(notices.contains("worker-2 is idle"))
    }

    @Test func aRestartedServerReadsTheSameStateAndNeitherRedeliversNorRepeatsANotice() async throws {
        let setup = try Setup()
        let first = try setup.assign(1, "One")
        let second = try setup.assign(1, "Two")
        let third = try setup.assign(2, "Three")
        var flow = setup.flow()
        _ = await flow.workerStopped(1)
        _ = await flow.workerStopped(2)
        try setup.commit(worker: 1, file: "one.txt", contents: "1\n", trailer: first)
        _ = await flow.workerStopped(1)
        _ = await flow.managerStopped()
        _ = await flow.managerStopped(continuing: true)  // it went on with the notice: confirmed
        let before = try await setup.ledger(after: flow)
        #expect(before.tasks.map(\.state) == [.done, .delivered, .delivered])

        // A new server on the same state directory.
        flow = setup.flow()
        #expect(try await setup.ledger(after: flow) == before)
        let reminder = try #require(Self.reason(await flow.workerStopped(1)))
        #expect(reminder.contains("\(second) is not done"), "a delivered task is not handed over again as new")
        _ = third
        #expect(await flow.managerStopped() == .none, "the done notice was delivered before the restart")
    }

    @Test func anIdleWorkerGetsANewTaskTypedIntoItsPaneConfirmedByItsPromptElseTypedAgain() async throws {
        let setup = try Setup()
        let flow = setup.flow()
        #expect(await flow.workerStopped(1) == .none)
        let task = try setup.assign(1, "Add a flag")
        let start = Date()
        await flow.poll(now: start)
        let typed = await setup.panes.texts(.worker(1))
        #expect(typed.count == 1 && typed[0].contains("Orch-Task: \(task)") && !typed[0].contains("\n"))
        await flow.poll(now: start.addingTimeInterval(1))
        #expect(await setup.panes.texts(.worker(1)).count == 1, "not typed again before the confirmation time")
        await flow.poll(now: start.addingTimeInterval(6))
        #expect(await setup.panes.texts(.worker(1)).count == 2, "typed again when unconfirmed")
        #expect(try await setup.ledger(after: flow).task(task)?.state == .queued)
        await flow.promptSubmitted(.worker(1), prompt: typed[0])
        #expect(try await setup.ledger(after: flow).task(task)?.state == .delivered)
        await flow.poll(now: start.addingTimeInterval(20))
        #expect(await setup.panes.texts(.worker(1)).count == 2, "confirmed: nothing more is typed")
    }

    @Test func theTargetIsMergedIntoAStoppingWorkersBranchAndAConflictBecomesItsInstruction() async throws {
        let setup = try Setup()
        let one = try setup.assign(1, "Set shared.txt to alpha")
        let two = try setup.assign(2, "Set shared.txt to beta")
        let flow = setup.flow()
        _ = await flow.workerStopped(1)
        _ = await flow.workerStopped(2)
        try setup.commit(worker: 1, file: "shared.txt", contents: "alpha\n", trailer: one)
        try setup.commit(worker: 2, file: "shared.txt", contents: "beta\n", trailer: two)
        let repository = try Repository.open(at: setup.layout.clone)
        let merged = try BranchMerge(target: "main").merge("orch/worker-1", in: repository)
        #expect(merged != .upToDate)
        let three = try setup.assign(2, "Write the FAQ")

        let reply = try #require(Self.reason(await flow.workerStopped(2)))
        #expect(reply.contains("conflicts with main in: shared.txt") && reply.contains("git merge main") && reply.contains("Orch-Task: \(three)"))
        // Nothing was written: the branch is as the worker left it.
        #expect(try git("show", "orch/worker-2:shared.txt", in: setup.layout.clone) == "beta")
        let notices = try #require(Self.reason(await flow.managerStopped()))
        #expect(notices.contains("orch/worker-2 conflicts with main in shared.txt"))

        // Worker 1's stop brings main (its own merged work plus the new task list) into its branch; the server
        // never writes into the worker's clone, which takes the branch over the channel.
        let cloneTip = try git("rev-parse", "HEAD", in: setup.layout.worktree(.worker(1)))
        let before = try repository.branchTip("orch/worker-1")
        _ = await flow.workerStopped(1)
        let after = try #require(try repository.branchTip("orch/worker-1"))
        let mainTip = try #require(try repository.branchTip("main"))
        #expect(after != before)
        #expect(try repository.isAncestor(mainTip, of: after))
        #expect(try git("ls-tree", "--name-only", "orch/worker-1", in: setup.layout.clone).split(separator: "\n").contains("WORKER_2_TASK_LIST.md"))
        #expect(try git("rev-parse", "HEAD", in: setup.layout.worktree(.worker(1))) == cloneTip)
    }

    /// A check that always fails, with a line of output.
    struct FailingCheck: MergeCheckRunner {
        func identity() async -> String { "failing" }
        func clear(_ place: GatePlace) async {}
        func run(_ check: MergeCheck, in place: GatePlace) async -> CheckRun { CheckRun(exitCode: 1, seconds: 0.1, tail: "notes.md:1: broken\n") }
    }

    @Test func aFailedMergeCheckGoesBackToItsWorkerWithItsNextTaskAndTheManagerHearsOfItAndOfTheFix() async throws {
        let setup = try Setup()
        let first = try setup.assign(1, "Write the notes")
        let second = try setup.assign(1, "Write the FAQ")
        let flow = setup.flow()
        _ = await flow.workerStopped(1)
        try setup.commit(worker: 1, file: "notes.md", contents: "broken\n", trailer: first)
        let gate = try MergeGate(configuration: .init(repository: setup.layout.clone, target: "main", check: MergeCheck(command: "make check")), runner: FailingCheck())
        let before = try git("rev-parse", "main", in: setup.layout.clone)
        #expect(try await gate.wait(for: try await gate.enqueue(["orch/worker-1"])).first??.kind == .checkFailed)
        #expect(try git("rev-parse", "main", in: setup.layout.clone) == before)

        // The manager hears of it; the worker gets it before its next task, with the check's output.
        let notice = try #require(Self.reason(await flow.managerStopped()))
        #expect(notice.contains("the merge of \(first) (orch/worker-1) into main fails the merge check: `make check` exited 1"), "\(notice)")
        let reply = try #require(Self.reason(await flow.workerStopped(1)))
        #expect(reply.contains("Next task \(second)") && reply.contains("Before the task: Fix orch/worker-1 so that the merge check passes"), "\(reply)")
        #expect(reply.contains("notes.md:1: broken") && reply.contains("Orch-Task: \(second)"))
        // Its next Stop ends its turn on it: closed, and the manager is told to merge it again; it is not handed over twice.
        try setup.commit(worker: 1, file: "notes.md", contents: "fixed\n", trailer: second)
        let next = await flow.workerStopped(1)
        #expect(Self.reason(next)?.contains("so that the merge check passes") != true)
        let fixed = try #require(Self.reason(await flow.managerStopped(continuing: true)))
        #expect(fixed.contains("worker-1 worked on what failed the merge check: merge it again with `orch merge worker-1`"), "\(fixed)")
        await flow.settle()
        #expect(try CheckFailure.all(in: Repository.open(at: setup.layout.clone)).allSatisfy { !$0.isOpen })
    }
}
