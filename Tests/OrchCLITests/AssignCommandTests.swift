import Foundation
import Testing
import TestSupport

/// The `orch` executable run as a person (or the manager in its container) runs it.
@Suite struct AssignCommandTests {
    @Test func eightConcurrentAssignsGetEightDistinctIDsAndNoneIsLost() async throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"))
        try git("clone", "-q", "--bare", dir("seed"), dir("state.git"), in: dir.path)
        let repo = dir("state.git")
        // Start all eight, then wait: they race on the same ref.
        let processes = try (1...8).map { index -> (Process, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: orchExecutable)
            process.arguments = ["assign", "--worker", String((index - 1) % 3 + 1), "--repo", repo, "Task number \(index)"]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            return (process, out)
        }
        var ids: [String] = []
        for (process, out) in processes {
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            ids.append(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(Set(ids) == Set((1...8).map { String(format: "T-%04d", $0) }))
        var lines: [String] = []
        for worker in 1...3 {
            let list = try git("show", "main:WORKER_\(worker)_TASK_LIST.md", in: repo)
            lines += list.split(separator: "\n").filter { $0.hasPrefix("- [ ] T-") }.map(String.init)
        }
        #expect(lines.count == 8)
        #expect(Set(lines.map { $0.dropFirst(6).prefix(6) }).count == 8)
        #expect(Set(lines.map { String($0.split(separator: ": ", maxSplits: 1)[1]) }) == Set((1...8).map { "Task number \($0)" }))
        #expect(try git("rev-list", "--count", "main", in: repo) == "9")
    }

    @Test func assignPrintsTheIDFromInsideALinkedWorktree() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        try git("worktree", "add", "-q", "-b", "orch/manager", dir("manager"), in: dir("repo"))
        let result = try run(orchExecutable, ["assign", "--worker", "2", "Write", "the", "docs"], in: dir("manager"))
        #expect(result.status == 0)
        #expect(result.stdout == "T-0001\n")
        #expect(try git("show", "main:WORKER_2_TASK_LIST.md", in: dir("repo")).hasSuffix("- [ ] T-0001: Write the docs"))
    }

    @Test(arguments: [
        (["assign", "--worker", "0", "x"], "--worker must be 1 or more, got 0"),
        (["assign", "--worker", "1", "  "], "the task text is empty"),
        (["assign", "--worker", "1", "--repo", "/nonexistent/repo", "x"], "no git repository at /nonexistent/repo"),
        (["assign", "--worker", "x", "y"], "--worker"),
        (["merge"], "name the branches to merge"),
        (["merge", "--all", "worker-1"], "not both"),
        (["merge", "worker-7"], "no branch orch/worker-7"),
        (["assign", "--worker", "1", "--branch", "trunk", "x"], "no branch trunk"),
    ])
    func badInputExitsTwoAndSaysWhatWasWrong(arguments: [String], message: String) throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let before = try git("for-each-ref", in: dir("repo"))
        let result = try run(orchExecutable, arguments, in: dir("repo"))
        #expect(result.status == 2)
        #expect(result.stderr.contains(message))
        #expect(try git("for-each-ref", in: dir("repo")) == before)
    }
}
