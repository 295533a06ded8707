import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

@Suite struct BranchMergeTests {
    /// A bare state clone with two tasks for worker 1 and one for worker 2.
    func stateRepository(_ dir: ScratchDirectory, files: [String: String] = ["app.txt": "1\n2\n3\n"]) throws -> Repository {
        try Fixtures.repository(at: dir("seed"), files: files)
        try git("clone", "-q", "--bare", dir("seed"), dir("state.git"), in: dir.path)
        let repo = try Repository.open(at: dir("state.git"))
        _ = try TaskAssignment(worker: 1, text: "first", branch: "main").commit(to: repo)
        _ = try TaskAssignment(worker: 1, text: "second", branch: "main").commit(to: repo)
        _ = try TaskAssignment(worker: 2, text: "third", branch: "main").commit(to: repo)
        let tip = try #require(try repo.branchTip("main"))
        try repo.createBranch("orch/worker-1", at: tip)
        try repo.createBranch("orch/worker-2", at: tip)
        return repo
    }

    func list(_ worker: Int, _ dir: ScratchDirectory) throws -> String {
        try git("show", "main:WORKER_\(worker)_TASK_LIST.md", in: dir("state.git"))
    }

    @Test func fastForwardTicksTheDeliveredTasksInOneUpdate() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir)
        try Fixtures.commit(["a.txt": "a"], on: "orch/worker-1", message: "Do first\n\nOrch-Task: T-0001", in: dir("state.git"))
        let workerTip = try #require(try repo.branchTip("orch/worker-1"))
        let outcome = try BranchMerge(target: "main").merge("orch/worker-1", in: repo)
        guard case .fastForwarded(let tip, let ticked) = outcome else { Issue.record("\(outcome)"); return }
        #expect(ticked == [TaskID(1)])
        #expect(try repo.branchTip("main") == tip)
        #expect(try git("rev-parse", "main^", in: dir("state.git")) == workerTip.hex)
        #expect(try list(1, dir).contains("- [x] T-0001: first"))
        #expect(try list(1, dir).contains("- [ ] T-0002: second"))
        // Merging again changes nothing.
        #expect(try BranchMerge(target: "main").merge("orch/worker-1", in: repo) == .upToDate)
        #expect(try repo.branchTip("main") == tip)
    }

    @Test func aPlainFastForwardWithoutTasksMovesToTheBranchTip() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir)
        try Fixtures.commit(["a.txt": "a"], on: "orch/worker-1", message: "chore", in: dir("state.git"))
        let workerTip = try #require(try repo.branchTip("orch/worker-1"))
        #expect(try BranchMerge(target: "main").merge("orch/worker-1", in: repo) == .fastForwarded(to: workerTip, ticked: []))
    }

    @Test func divergedBranchesGetAMergeCommitThatTicksBothWorkersTasks() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir)
        try Fixtures.commit(["one.txt": "1"], on: "orch/worker-1", message: "first\n\nOrch-Task: T-0001", in: dir("state.git"))
        try Fixtures.commit(["one-b.txt": "1"], on: "orch/worker-1", message: "second\n\nOrch-Task: T-0002", in: dir("state.git"))
        try Fixtures.commit(["two.txt": "2"], on: "orch/worker-2", message: "third\n\nOrch-Task: T-0003", in: dir("state.git"))
        let merge = BranchMerge(target: "main")
        let branches = try BranchMerge.workerBranches(in: repo)
        #expect(branches == ["orch/worker-1", "orch/worker-2"])
        let outcomes = try branches.map { try merge.merge($0, in: repo) }
        guard case .fastForwarded(_, let firstTicks) = outcomes[0], case .merged(let commit, let secondTicks) = outcomes[1] else {
            Issue.record("\(outcomes)"); return
        }
        #expect(firstTicks == [TaskID(1), TaskID(2)])
        #expect(secondTicks == [TaskID(3)])
        #expect(try git("rev-list", "--parents", "-1", "main", in: dir("state.git")).split(separator: " ").count == 3)
        #expect(try repo.commit(commit).summary == "Merge orch/worker-2 into main")
        #expect(try list(1, dir).contains("- [x] T-0002: second"))
        #expect(try list(2, dir).contains("- [x] T-0003: third"))
        #expect(try git("ls-tree", "--name-only", "main", in: dir("state.git")).contains("two.txt"))
        #expect(try outcomes.count == 2 && branches.allSatisfy { try merge.merge($0, in: repo) == .upToDate })
    }

    @Test func aConflictLeavesTheTargetAndEveryWorkingTreeUntouched() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir, files: ["app.txt": "1\n2\n3\n", "gone.txt": "g\n"])
        let tip = try #require(try repo.branchTip("orch/worker-2"))
        try repo.addWorktree(named: "worker-2", at: dir("w2"), branch: .existing("orch/worker-2"))
        try Fixtures.commit(["app.txt": "1\nTWO\n3\n"], on: "orch/worker-1", message: "w1\n\nOrch-Task: T-0001", in: dir("state.git"))
        try Fixtures.commit(["app.txt": "1\nzwei\n3\n", "new.txt": "w2\n"], on: "main", message: "main edits", in: dir("state.git"))
        _ = tip
        try Fixtures.commit(["new.txt": "w1\n"], on: "orch/worker-1", message: "w1 adds", in: dir("state.git"))
        let refsBefore = try git("for-each-ref", in: dir("state.git"))
        let statusBefore = try git("status", "--porcelain", in: dir("w2"))
        let outcome = try BranchMerge(target: "main").merge("worker-1".isEmpty ? "" : BranchMerge.branchName(for: "worker-1"), in: repo)
        #expect(outcome == .conflicted([
            MergeConflict(path: "app.txt", kind: .bothModified),
            MergeConflict(path: "new.txt", kind: .bothAdded),
        ]))
        #expect(try git("for-each-ref", in: dir("state.git")) == refsBefore)
        #expect(try git("status", "--porcelain", in: dir("w2")) == statusBefore)
    }

    @Test func aModifyDeleteConflictIsReported() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir, files: ["app.txt": "1\n", "old.txt": "o\n"])
        try Fixtures.commit(["old.txt": "changed\n"], on: "orch/worker-1", message: "edit", in: dir("state.git"))
        let main = try #require(try repo.branchTip("main"))
        try repo.commitFiles(to: "main", message: "delete") { _ in [.remove(path: "old.txt")] }
        let outcome = try BranchMerge(target: "main").merge("orch/worker-1", in: repo)
        #expect(outcome == .conflicted([MergeConflict(path: "old.txt", kind: .deletedByUs)]))
        #expect(try repo.branchTip("main") != main, "main holds the deletion only")
        #expect(try repo.readFile("old.txt", at: repo.branchTip("main")!) == nil)
    }

    @Test func aCheckedOutTargetIsKeptCleanOrRefusedWhenDirty() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["app.txt": "1\n"])
        let repo = try Repository.open(at: dir("repo"))
        _ = try TaskAssignment(worker: 1, text: "do it", branch: "main").commit(to: repo)
        try Fixtures.commit(["feature.txt": "f\n"], on: "orch/worker-1", message: "feature\n\nOrch-Task: T-0001", in: dir("repo"))
        try Fixtures.commit(["other.txt": "o\n"], on: "main", message: "main moves", in: dir("repo"))
        try git("reset", "-q", "--hard", in: dir("repo"))

        try Fixtures.write(["app.txt": "dirty\n"], in: dir("repo"))
        let before = try repo.branchTip("main")
        #expect {
            try BranchMerge(target: "main").merge("orch/worker-1", in: repo)
        } throws: { ($0 as! OrchError).code == .usage }
        #expect(try repo.branchTip("main") == before)

        try git("checkout", "-q", "--", "app.txt", in: dir("repo"))
        guard case .merged = try BranchMerge(target: "main").merge("orch/worker-1", in: repo) else { Issue.record("not merged"); return }
        #expect(try git("status", "--porcelain", in: dir("repo")) == "")
        #expect(FileManager.default.fileExists(atPath: dir("repo", "feature.txt")))
        #expect(try String(contentsOfFile: dir("repo", "WORKER_1_TASK_LIST.md"), encoding: .utf8).contains("- [x] T-0001"))
    }

    @Test func missingBranchesAreNamed() throws {
        let dir = ScratchDirectory()
        let repo = try stateRepository(dir)
        #expect(throws: OrchError.usage("no branch orch/worker-9 in \(dir("state.git"))")) {
            try BranchMerge(target: "main").merge(BranchMerge.branchName(for: "worker-9"), in: repo)
        }
        #expect(BranchMerge.branchName(for: "manager") == "orch/manager")
        #expect(BranchMerge.branchName(for: "feature/x") == "feature/x")
    }
}

@Suite struct CheckedOutTargetTests {
    @Test func anUntrackedFileWhereTheMergeAddsOneIsRefusedBeforeTheTargetMoves() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["app.txt": "1\n"])
        let repo = try Repository.open(at: dir("repo"))
        try Fixtures.commit(["new.txt": "from worker\n"], on: "orch/worker-1", message: "adds new.txt", in: dir("repo"))
        try Fixtures.write(["new.txt": "my own untracked notes\n"], in: dir("repo"))
        let before = try repo.branchTip("main")
        #expect {
            try BranchMerge(target: "main").merge("orch/worker-1", in: repo)
        } throws: { error in
            let error = error as! OrchError
            return error.code == .usage && error.message.contains("new.txt")
        }
        #expect(try repo.branchTip("main") == before)
        #expect(try String(contentsOfFile: dir("repo", "new.txt"), encoding: .utf8) == "my own untracked notes\n")
        #expect(try run("git", ["status", "--porcelain"], in: dir("repo")).stdout == "?? new.txt\n")
    }

    @Test func aTargetCheckedOutOutOfSightIsRefused() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        try git("switch", "-q", "-c", "other", in: dir("repo"))
        try git("worktree", "add", "-q", dir("m"), "main", in: dir("repo"))
        try FileManager.default.moveItem(atPath: dir("m"), toPath: dir("moved"))
        let repo = try Repository.open(at: dir("repo"))
        let before = try repo.branchTip("main")
        #expect {
            try TaskAssignment(worker: 1, text: "x", branch: "main").commit(to: repo)
        } throws: { ($0 as! OrchError).message.contains("not reachable from here") }
        #expect(try repo.branchTip("main") == before)
    }
}
