import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct WorkingTreeSyncTests {
    @Test func aMovedBranchIsBroughtInLineKeepingLocalEdits() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["mine.txt": "1\n", "theirs.txt": "1\n"])
        let repo = try Repository.open(at: dir("repo"))
        let old = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("orch/w", at: old))
        // The worker edits one file and stages another new one.
        try Fixtures.write(["mine.txt": "local\n", "staged.txt": "s\n"], in: dir("w"))
        try git("add", "staged.txt", in: dir("w"))
        // orch moves the branch without touching the worktree.
        let new = try repo.commitFiles(to: "orch/w", message: "upstream") { _ in
            [.write(path: "theirs.txt", contents: Data("2\n".utf8)), .write(path: "added.txt", contents: Data("+\n".utf8))]
        }
        guard case .committed = new else { Issue.record("no commit"); return }

        let worktree = try Repository.open(at: dir("w"))
        try worktree.syncWorkingTree(from: old)
        #expect(try String(contentsOfFile: dir("w", "theirs.txt"), encoding: .utf8) == "2\n")
        #expect(try String(contentsOfFile: dir("w", "added.txt"), encoding: .utf8) == "+\n")
        #expect(try String(contentsOfFile: dir("w", "mine.txt"), encoding: .utf8) == "local\n")
        let status = try run("git", ["status", "--porcelain"], in: dir("w")).stdout.split(separator: "\n").sorted()
        #expect(status == ["A  staged.txt", " M mine.txt"].sorted())
    }

    @Test func aCollidingLocalEditIsAConflictAndNothingIsWritten() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["f.txt": "1\n", "g.txt": "1\n"])
        let repo = try Repository.open(at: dir("repo"))
        let old = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("orch/w", at: old))
        try Fixtures.write(["f.txt": "local\n"], in: dir("w"))
        let worktree = try Repository.open(at: dir("w"))
        let next = try repo.createCommit(
            tree: repo.tree(repo.treeID(ofCommit: old), applying: [
                .write(path: "f.txt", contents: Data("2\n".utf8)), .write(path: "g.txt", contents: Data("2\n".utf8)),
            ]),
            parents: [old], message: "upstream")
        #expect {
            try worktree.advanceCheckedOutBranch(to: next, expecting: old)
        } throws: { error in
            let error = error as! GitError
            return error.code == .conflict && error.message.contains("f.txt")
        }
        #expect(try repo.branchTip("orch/w") == old)
        #expect(try String(contentsOfFile: dir("w", "f.txt"), encoding: .utf8) == "local\n")
        #expect(try String(contentsOfFile: dir("w", "g.txt"), encoding: .utf8) == "1\n")
    }

    @Test func advancingACleanCheckoutLeavesItClean() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["f.txt": "1\n"])
        let repo = try Repository.open(at: dir("repo"))
        let old = try #require(try repo.branchTip("main"))
        let next = try repo.createCommit(
            tree: repo.tree(repo.treeID(ofCommit: old), applying: [.write(path: "f.txt", contents: Data("2\n".utf8))]),
            parents: [old], message: "next")
        try repo.advanceCheckedOutBranch(to: next, expecting: old)
        #expect(try git("status", "--porcelain", in: dir("repo")) == "")
        #expect(try String(contentsOfFile: dir("repo", "f.txt"), encoding: .utf8) == "2\n")
        #expect(try repo.checkouts(of: "main").map(\.path) == [dir("repo") + "/"])
    }
}

@Suite struct StagedChangeSafetyTests {
    @Test func aStagedOnlyChangeToAMovedFileIsAConflictNotOverwritten() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["f.txt": "1\n"])
        let repo = try Repository.open(at: dir("repo"))
        let old = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("orch/w", at: old))
        // Stage a change, then put the file on disk back: only the index differs.
        try Fixtures.write(["f.txt": "staged\n"], in: dir("w"))
        try git("add", "f.txt", in: dir("w"))
        try Fixtures.write(["f.txt": "1\n"], in: dir("w"))
        try repo.commitFiles(to: "orch/w", message: "upstream") { _ in [.write(path: "f.txt", contents: Data("2\n".utf8))] }
        #expect {
            try Repository.open(at: dir("w")).syncWorkingTree(from: old)
        } throws: { ($0 as! GitError).code == .conflict }
        #expect(try git("show", ":f.txt", in: dir("w")) == "staged")
    }
}
