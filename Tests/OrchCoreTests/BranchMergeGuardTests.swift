import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// A worker branch is written by a hostile container: it may finish only its
/// own worker's tasks and never edit a task list.
@Suite struct BranchMergeGuardTests {
    @Test func aTrailerForAnotherWorkersTaskTicksNothingAndDoesNotMakeItDone() throws {
        let dir = ScratchDirectory()
        let repo = try BranchMergeTests().stateRepository(dir)
        // T-0003 is worker-2's; worker-1 claims it.
        try Fixtures.commit(["a.txt": "a"], on: "orch/worker-1", message: "Steal\n\nOrch-Task: T-0003", in: dir("state.git"))
        #expect(try TaskLedger(repository: repo, target: "main").task(TaskID(3))?.state == .queued)
        let outcome = try BranchMerge(target: "main").merge("orch/worker-1", in: repo)
        guard case .fastForwarded(_, let ticked) = outcome else { Issue.record("\(outcome)"); return }
        #expect(ticked.isEmpty)
        #expect(try BranchMergeTests().list(2, dir).contains("- [ ] T-0003: third"))
    }

    @Test func theManagersBranchTicksATaskOnlyWithACommitFromItsWorkersBranch() throws {
        let dir = ScratchDirectory()
        let repo = try BranchMergeTests().stateRepository(dir)
        try repo.createBranch("orch/manager", at: try #require(try repo.branchTip("main")))
        try Fixtures.commit(["m.txt": "m"], on: "orch/manager", message: "Claim\n\nOrch-Task: T-0003", in: dir("state.git"))
        let outcome = try BranchMerge(target: "main").merge("orch/manager", in: repo)
        guard case .fastForwarded(_, let ticked) = outcome else { Issue.record("\(outcome)"); return }
        #expect(ticked.isEmpty, "a manager commit that is not on orch/worker-2 claimed its task")
        try Fixtures.commit(["b.txt": "b"], on: "orch/worker-2", message: "Do third\n\nOrch-Task: T-0003", in: dir("state.git"))
        let merged = try BranchMerge(target: "main").merge("orch/worker-2", in: repo)
        guard case .merged(_, let real) = merged else { Issue.record("\(merged)"); return }
        #expect(real == [TaskID(3)])
    }

    @Test func aWorkerBranchThatEditsATaskListIsRefusedAndTheTargetStays() throws {
        let dir = ScratchDirectory()
        let repo = try BranchMergeTests().stateRepository(dir)
        let before = try BranchMergeTests().list(2, dir)
        try Fixtures.commit(["WORKER_2_TASK_LIST.md": before.replacingOccurrences(of: "[ ] T-0003", with: "[x] T-0003")],
                            on: "orch/worker-1", message: "Tick it myself", in: dir("state.git"))
        let tip = try repo.branchTip("main")
        #expect {
            try BranchMerge(target: "main").merge("orch/worker-1", in: repo)
        } throws: { error in
            let error = error as! OrchError
            return error.code == .usage && error.message.contains("orch/worker-1 changes WORKER_2_TASK_LIST.md") && error.message.contains("main is unchanged")
        }
        #expect(try repo.branchTip("main") == tip)
    }
}
