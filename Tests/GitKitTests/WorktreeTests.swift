import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct WorktreeTests {
    @Test func addsListsAndPrunesAWorktreeOnANewBranch() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["a.txt": "a\n"])
        try git("clone", "-q", "--bare", dir("repo"), dir("state.git"), in: dir.path)
        let repo = try Repository.open(at: dir("state.git"))
        let tip = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "worker-1", at: dir("trees", "worker-1"), branch: .new("orch/worker-1", at: tip))
        #expect(try String(contentsOfFile: dir("trees", "worker-1", "a.txt"), encoding: .utf8) == "a\n")
        #expect(try git("rev-parse", "--abbrev-ref", "HEAD", in: dir("trees", "worker-1")) == "orch/worker-1")
        #expect(try git("status", "--porcelain", in: dir("trees", "worker-1")) == "")
        let listed = try repo.worktrees()
        #expect(listed == [Worktree(name: "worker-1", path: dir("trees", "worker-1"), branch: "orch/worker-1", isValid: true, isLocked: false)])
        #expect(try git("worktree", "list", "--porcelain", in: dir("state.git")).contains(dir("trees", "worker-1")))

        try repo.pruneWorktree(named: "worker-1", target: "main")
        #expect(try repo.worktrees().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir("trees", "worker-1")))
        #expect(try repo.branchTip("orch/worker-1") == tip, "the branch stays")
    }

    @Test func aFailedAddLeavesNothingBehind() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        // The branch is checked out already: libgit2 refuses a second checkout of it.
        #expect(throws: GitError.self) {
            try repo.addWorktree(named: "dup", at: dir("dup"), branch: .existing("main"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir("repo", ".git", "worktrees", "dup")))
        #expect(!FileManager.default.fileExists(atPath: dir("dup")))
        // A path with files in it is refused before anything is written.
        try Fixtures.write(["occupied/file": "x"], in: dir.path)
        #expect {
            try repo.addWorktree(named: "w", at: dir("occupied"), branch: .new("w", at: tip))
        } throws: { ($0 as? GitError)?.code == .pathExists }
        #expect(try repo.branchTip("w") == nil)
        #expect(!FileManager.default.fileExists(atPath: dir("repo", ".git", "worktrees", "w")))
        #expect(try git("worktree", "list", in: dir("repo")).split(separator: "\n").count == 1)
    }

    @Test func aFailedAddRemovesTheBranchItCreated() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        // A file where the worktree's parent folder should go makes libgit2 fail mid-way.
        try Fixtures.write(["blocker": "x"], in: dir.path)
        #expect(throws: (any Error).self) {
            try repo.addWorktree(named: "w2", at: dir("blocker", "w2"), branch: .new("orch/w2", at: tip))
        }
        #expect(try repo.branchTip("orch/w2") == nil)
        #expect(!FileManager.default.fileExists(atPath: dir("repo", ".git", "worktrees", "w2")))
    }

    @Test func pruneRefusesADirtyWorktreeUnlessForced() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("orch/w", at: tip))
        try Fixtures.write(["untracked.txt": "work in progress"], in: dir("w"))
        #expect {
            try repo.pruneWorktree(named: "w", target: "main")
        } throws: { ($0 as? GitError)?.code == .dirtyWorktree }
        #expect(FileManager.default.fileExists(atPath: dir("w", "untracked.txt")))
        try repo.pruneWorktree(named: "w", target: "main", force: true)
        #expect(!FileManager.default.fileExists(atPath: dir("w")))
    }

    @Test func pruneRefusesAWorktreeWithUnmergedCommits() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("orch/w", at: tip))
        try Fixtures.write(["new.txt": "done"], in: dir("w"))
        try git("add", "new.txt", in: dir("w"))
        try git("commit", "-q", "-m", "work", in: dir("w"))
        #expect {
            try repo.pruneWorktree(named: "w", target: "main")
        } throws: { ($0 as? GitError)?.code == .unmergedCommits }
        #expect(try repo.worktrees().count == 1)
        // Once main has the work, it may go.
        try git("merge", "-q", "orch/w", in: dir("repo"))
        try repo.pruneWorktree(named: "w", target: "main")
        #expect(try repo.worktrees().isEmpty)
    }

    @Test func aWorktreeWhoseDirectoryVanishedIsListedInvalidAndPrunable() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "gone", at: dir("gone"), branch: .new("gone", at: tip))
        try FileManager.default.removeItem(atPath: dir("gone"))
        #expect(try repo.worktree(named: "gone").isValid == false)
        try repo.pruneWorktree(named: "gone", target: "main")
        #expect(try repo.worktrees().isEmpty)
    }
}

@Suite struct WorktreeSafetyTests {
    @Test func pruneRefusesADetachedHeadHoldingCommitsTheTargetLacks() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("orch/w", at: tip))
        try git("checkout", "-q", "--detach", in: dir("w"))
        try Fixtures.write(["x.txt": "x"], in: dir("w"))
        try git("add", "x.txt", in: dir("w"))
        try git("commit", "-q", "-m", "detached work", in: dir("w"))
        #expect {
            try repo.pruneWorktree(named: "w", target: "main")
        } throws: { error in
            let error = error as! GitError
            return error.code == .unmergedCommits && error.message.contains("detached HEAD")
        }
        #expect(FileManager.default.fileExists(atPath: dir("w", "x.txt")))
    }

    @Test func aWorktreeOutOfSightStillReportsItsBranch() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        try git("switch", "-q", "-c", "other", in: dir("repo"))
        try repo.addWorktree(named: "m", at: dir("m"), branch: .existing("main"))
        try FileManager.default.moveItem(atPath: dir("m"), toPath: dir("elsewhere"))
        let checkouts = try repo.checkouts(of: "main")
        #expect(checkouts.map(\.name) == ["m"])
        #expect(checkouts.first?.isValid == false)
    }
}

/// Worktrees skip libgit2's filters only when they could not change a byte.
@Suite struct WorktreeFilterTests {
    func addWorktree(_ dir: ScratchDirectory, files: [String: String], config: [String] = []) throws -> String {
        try Fixtures.repository(at: dir("repo"), files: files)
        for pair in config { try git("config", pair.split(separator: "=").map(String.init)[0], pair.split(separator: "=").map(String.init)[1], in: dir("repo")) }
        let repo = try Repository.open(at: dir("repo"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("w", at: #require(try repo.branchTip("main"))))
        return try String(contentsOfFile: dir("w", "a.txt"), encoding: .utf8)
    }

    @Test func attributesStillApply() throws {
        let dir = ScratchDirectory()
        let text = try addWorktree(dir, files: ["a.txt": "one\ntwo\n", ".gitattributes": "*.txt text eol=crlf\n"])
        #expect(text == "one\r\ntwo\r\n")
        #expect(try git("status", "--porcelain", in: dir("w")) == "")
    }

    @Test func nestedAttributesStillApply() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["a.txt": "x\n", "sub/b.txt": "one\n", "sub/.gitattributes": "*.txt text eol=crlf\n"])
        let repo = try Repository.open(at: dir("repo"))
        try repo.addWorktree(named: "w", at: dir("w"), branch: .new("w", at: #require(try repo.branchTip("main"))))
        #expect(try String(contentsOfFile: dir("w", "sub", "b.txt"), encoding: .utf8) == "one\r\n")
    }

    @Test func autocrlfStillApplies() throws {
        let dir = ScratchDirectory()
        #expect(try addWorktree(dir, files: ["a.txt": "one\ntwo\n"], config: ["core.autocrlf=true"]) == "one\r\ntwo\r\n")
    }

    @Test func plainFilesAreWrittenAsStored() throws {
        let dir = ScratchDirectory()
        #expect(try addWorktree(dir, files: ["a.txt": "one\r\ntwo\n"]) == "one\r\ntwo\n")
        #expect(try git("status", "--porcelain", in: dir("w")) == "")
    }
}
