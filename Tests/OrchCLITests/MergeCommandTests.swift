import Foundation
import Testing
import TestSupport

@Suite struct MergeCommandTests {
    @Test func mergesEveryWorkerAndTicksTheirTasks() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"), files: ["app.txt": "a\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("state.git"), in: dir.path)
        let repo = dir("state.git")
        for worker in 1...2 { _ = try run(orchExecutable, ["assign", "--worker", "\(worker)", "--repo", repo, "job \(worker)"]) }
        try Fixtures.commit(["w1.txt": "1"], on: "orch/worker-1", message: "job 1\n\nOrch-Task: T-0001", in: repo)
        try Fixtures.commit(["w2.txt": "2"], on: "orch/worker-2", message: "job 2\n\nOrch-Task: T-0002", in: repo)
        let result = try run(orchExecutable, ["merge", "--all", "--repo", repo])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("orch/worker-1: fast-forwarded main"))
        #expect(result.stdout.contains("orch/worker-2: merged into main"))
        #expect(result.stdout.contains("(done: T-0002)"))
        #expect(try git("show", "main:WORKER_1_TASK_LIST.md", in: repo).contains("- [x] T-0001: job 1"))
        #expect(try git("show", "main:WORKER_2_TASK_LIST.md", in: repo).contains("- [x] T-0002: job 2"))
        let again = try run(orchExecutable, ["merge", "worker-1", "worker-2", "--repo", repo])
        #expect(again.status == 0)
        #expect(again.stdout == "orch/worker-1: already merged into main\norch/worker-2: already merged into main\n")
    }

    @Test func aConflictExitsOnePrintsThePathsAndLeavesTheTargetAlone() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"), files: ["app.txt": "1\n2\n3\n", "lib/util.txt": "u\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("state.git"), in: dir.path)
        let repo = dir("state.git")
        try Fixtures.commit(["app.txt": "1\nworker\n3\n", "lib/util.txt": "w\n"], on: "orch/worker-1", message: "w", in: repo)
        try Fixtures.commit(["app.txt": "1\nmain\n3\n", "lib/util.txt": "m\n"], on: "main", message: "m", in: repo)
        let before = try git("rev-parse", "main", in: repo)
        let result = try run(orchExecutable, ["merge", "worker-1", "--repo", repo])
        #expect(result.status == 1)
        #expect(result.stdout == "app.txt\nlib/util.txt\n")
        #expect(result.stderr.contains("orch/worker-1 conflicts with main, which is unchanged"))
        #expect(try git("rev-parse", "main", in: repo) == before)
    }
}
