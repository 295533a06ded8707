import Foundation
import GitKit
import Testing
import TestSupport
@testable import OrchCore

/// Merging the target into a worker's checked-out branch, with one long-lived handle
/// while git (the worker) commits in the worktree in between.
@Suite struct WorkerBranchSyncTests {
    /// A workspace with one worker, its target holding `a.txt`.
    static func workspace(in dir: ScratchDirectory) throws -> (StateLayout, String) {
        try Fixtures.repository(at: dir("origin"), files: ["PROJECT_DIRECTION.md": "# x\n", "a.txt": "a\n"])
        let layout = StateLayout(root: dir("state"))
        _ = try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 1, layout: layout)
        // A worktree with the branch checked out, as a person's own repository has (orch's clone is bare).
        try git("worktree", "add", "-q", dir("checkout"), "orch/worker-1", in: layout.clone)
        return (layout, dir("checkout"))
    }

    @Test func aLongLivedHandleSeesTheIndexTheWorkerWroteAndTakesInTheTargetCleanly() throws {
        let dir = ScratchDirectory()
        let (layout, worktree) = try Self.workspace(in: dir)
        let handle = try Repository.open(at: worktree)
        let sync = WorkerBranchSync(target: "main")
        let clone = try Repository.open(at: layout.clone)

        _ = try TaskAssignment(worker: 1, text: "One", branch: "main").commit(to: clone)
        guard case .updated = try sync.update(branch: "orch/worker-1", in: handle) else { Issue.record("expected an update"); return }
        // The worker commits and merges the target itself with git, which rewrites the index behind the handle's back.
        try Fixtures.write(["b.txt": "b\n"], in: worktree)
        try git("add", "-A", in: worktree)
        try git("commit", "-q", "-m", "b", in: worktree)
        _ = try TaskAssignment(worker: 1, text: "Two", branch: "main").commit(to: clone)
        try git("merge", "-q", "--no-edit", "main", in: worktree)
        _ = try TaskAssignment(worker: 1, text: "Three", branch: "main").commit(to: clone)
        let outcome = try sync.update(branch: "orch/worker-1", in: handle)
        guard case .updated(let tip) = outcome else { Issue.record("expected an update, got \(outcome)"); return }
        #expect(try clone.isAncestor(clone.branchTip("main")!, of: tip))
        #expect(try String(contentsOfFile: worktree + "/WORKER_1_TASK_LIST.md", encoding: .utf8).contains("Three"))
        #expect(try git("status", "--porcelain", in: worktree).isEmpty)
    }

    @Test func aConflictWritesNothingAndNamesThePaths() throws {
        let dir = ScratchDirectory()
        let (layout, worktree) = try Self.workspace(in: dir)
        try Fixtures.write(["a.txt": "worker\n"], in: worktree)
        try git("commit", "-q", "-am", "worker", in: worktree)
        let clone = try Repository.open(at: layout.clone)
        try Fixtures.commit(["a.txt": "target\n"], on: "main", message: "target", in: layout.clone)
        let before = try clone.branchTip("orch/worker-1")
        #expect(try WorkerBranchSync(target: "main").update(branch: "orch/worker-1", worktree: worktree) == .conflicted(["a.txt"]))
        #expect(try WorkerBranchSync(target: "main").update(branch: "orch/worker-1", in: clone) == .conflicted(["a.txt"]))
        #expect(try clone.branchTip("orch/worker-1") == before)
        #expect(try String(contentsOfFile: worktree + "/a.txt", encoding: .utf8) == "worker\n")
    }

    @Test func inOrchsBareCloneOnlyTheBranchMovesByCompareAndSwap() throws {
        let dir = ScratchDirectory()
        let (layout, worktree) = try Self.workspace(in: dir)
        try Fixtures.write(["b.txt": "worker\n"], in: worktree)
        try git("add", "-A", in: worktree)
        try git("commit", "-q", "-m", "worker", in: worktree)
        try FileManager.default.removeItem(atPath: worktree)
        try git("worktree", "prune", in: layout.clone)
        let clone = try Repository.open(at: layout.clone)
        try Fixtures.commit(["a.txt": "target\n"], on: "main", message: "target", in: layout.clone)
        guard case .updated(let tip) = try WorkerBranchSync(target: "main").update(branch: "orch/worker-1", in: clone) else {
            Issue.record("expected an update"); return
        }
        #expect(try clone.branchTip("orch/worker-1") == tip)
        #expect(try git("show", "orch/worker-1:a.txt", in: layout.clone) == "target")
        #expect(try git("show", "orch/worker-1:b.txt", in: layout.clone) == "worker")
    }
}
