import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

@Suite struct TaskAssignmentTests {
    @Test func appendsToTheWorkersListOnTheTargetKeepingOtherBytes() throws {
        let dir = ScratchDirectory()
        let existing = "# Mine\r\n\r\nPlease be careful.\r\n- [x] T-0003: Old one\r\n"
        try Fixtures.repository(at: dir("repo"), files: ["WORKER_2_TASK_LIST.md": existing])
        try git("clone", "-q", "--bare", dir("repo"), dir("bare.git"), in: dir.path)
        let repo = try Repository.open(at: dir("bare.git"))
        let id = try TaskAssignment(worker: 2, text: "  Add the --json flag \n", branch: "main").commit(to: repo)
        #expect(id == TaskID(4))
        #expect(try git("show", "main:WORKER_2_TASK_LIST.md", in: dir("bare.git")) + "\r\n" == existing + "- [ ] T-0004: Add the --json flag\r\n")
        let second = try TaskAssignment(worker: 5, text: "New list", branch: "main").commit(to: repo)
        #expect(second == TaskID(5))
        #expect(try git("show", "main:WORKER_5_TASK_LIST.md", in: dir("bare.git")).hasSuffix("- [ ] T-0005: New list"))
        #expect(try git("log", "-1", "--format=%s", "main", in: dir("bare.git")) == "orch: assign T-0005 to worker-5")
        // A delivered task's line deleted upstream still holds its id.
        try git("update-ref", TaskLedger.deliveredPrefix + "T-0009", "main", in: dir("bare.git"))
        #expect(try TaskAssignment(worker: 5, text: "After a gone one", branch: "main").commit(to: repo) == TaskID(10))
    }

    @Test func badInputIsRefusedAndChangesNothing() throws {
        #expect(throws: OrchError.usage("--worker must be 1 or more, got 0")) { try TaskAssignment(worker: 0, text: "x", branch: "main") }
        #expect(throws: OrchError.usage("the task text is empty")) { try TaskAssignment(worker: 1, text: " \n ", branch: "main") }
        #expect(throws: OrchError.usage("the task text must be one line")) { try TaskAssignment(worker: 1, text: "a\nb", branch: "main") }
        #expect(throws: OrchError.usage("the task text holds a control character (U+001B); write it as plain text")) {
            try TaskAssignment(worker: 1, text: "fix it \u{1B}[201~\u{1B}[2J", branch: "main")
        }
        #expect(throws: OrchError.self) { try TaskAssignment(worker: 1, text: "bell \u{07} and C1 \u{9B}", branch: "main") }

        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["WORKER_1_TASK_LIST.md": "- [ ] T-0001: ok\n- [ ] T-00x2: broken\n"])
        let repo = try Repository.open(at: dir("repo"))
        let before = try repo.branchTip("main")
        #expect {
            try TaskAssignment(worker: 1, text: "more", branch: "main").commit(to: repo)
        } throws: { error in
            let error = error as! OrchError
            return error.code == .usage && error.message.contains("WORKER_1_TASK_LIST.md:2")
        }
        #expect {
            try TaskAssignment(worker: 1, text: "more", branch: "trunk").commit(to: repo)
        } throws: { ($0 as! OrchError).message.contains("no branch trunk") }
        #expect(try repo.branchTip("main") == before)
    }

    @Test func aCleanCheckoutOfTheTargetStaysInStepAndADirtyOneIsRefused() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        _ = try TaskAssignment(worker: 1, text: "one", branch: "main").commit(to: repo)
        #expect(try git("status", "--porcelain", in: dir("repo")) == "")
        #expect(FileManager.default.fileExists(atPath: dir("repo", "WORKER_1_TASK_LIST.md")))

        try "edited\n".write(toFile: dir("repo", "README.md"), atomically: true, encoding: .utf8)
        let before = try repo.branchTip("main")
        #expect {
            try TaskAssignment(worker: 1, text: "two", branch: "main").commit(to: repo)
        } throws: { ($0 as! OrchError).message.contains("uncommitted changes (README.md)") }
        #expect(try repo.branchTip("main") == before)
        #expect(try String(contentsOfFile: dir("repo", "README.md"), encoding: .utf8) == "edited\n")
    }
}
