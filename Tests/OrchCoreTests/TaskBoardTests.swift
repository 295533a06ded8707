import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

@Suite struct TaskBoardTests {
    @Test func idsAreUniqueAcrossListsAndDuplicatesAreReported() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: [
            "WORKER_1_TASK_LIST.md": "- [x] T-0001: a\n- [ ] T-0004: d\n",
            "WORKER_2_TASK_LIST.md": "intro\n- [ ] T-0002: b\n",
            "WORKER_X_TASK_LIST.md": "- [ ] T-0100: not a worker's list, ignored\n",
        ])
        let repo = try Repository.open(at: dir("repo"))
        try repo.commitFiles(to: "main", message: "noop") { snapshot in
            let board = try TaskBoard(snapshot)
            #expect(board.nextID() == TaskID(5))
            #expect(board.nextID(after: [TaskID(9)]) == TaskID(10))
            #expect(board.tasks.map(\.worker) == [1, 1, 2])
            return nil
        }
        try Fixtures.commit(["WORKER_3_TASK_LIST.md": "\n\n- [ ] T-0002: again\n"], on: "main", message: "dup", in: dir("repo"))
        #expect {
            try repo.commitFiles(to: "main", message: "noop") { snapshot in _ = try TaskBoard(snapshot); return nil }
        } throws: { error in
            let error = error as! TaskListError
            return error.file == "WORKER_3_TASK_LIST.md" && error.problems.first?.line == 3
                && error.description.contains("WORKER_3_TASK_LIST.md:3") && error.description.contains("WORKER_2_TASK_LIST.md")
        }
    }

    @Test func workerFileNames() {
        #expect(TaskBoard.fileName(worker: 12) == "WORKER_12_TASK_LIST.md")
        #expect(TaskBoard.worker(ofFileName: "WORKER_12_TASK_LIST.md") == 12)
        #expect(TaskBoard.worker(ofFileName: "WORKER_0_TASK_LIST.md") == nil)
        #expect(TaskBoard.worker(ofFileName: "WORKER__TASK_LIST.md") == nil)
        #expect(TaskBoard.worker(ofFileName: "README.md") == nil)
    }
}
