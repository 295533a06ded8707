import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct RepositoryTests {
    @Test func opensFromAnyPathInsideAWorkingTree() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["src/a/b.txt": "x\n"])
        let repo = try Repository.open(at: dir("repo", "src", "a"))
        #expect(!repo.isBare)
        #expect(repo.workingDirectory == dir("repo") + "/")
        #expect(try repo.currentBranch() == "main")
    }

    @Test func opensABareRepository() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        try git("clone", "-q", "--bare", dir("repo"), dir("bare.git"), in: dir.path)
        let repo = try Repository.open(at: dir("bare.git"))
        #expect(repo.isBare)
        #expect(repo.workingDirectory == nil)
        #expect(try repo.branchTip("main") != nil)
    }

    @Test func discoversTheRepositoryFromInsideALinkedWorktree() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["lib/x.swift": "//\n"])
        try git("worktree", "add", "-q", "-b", "feature", dir("wt"), in: dir("repo"))
        let repo = try Repository.open(at: dir("wt", "lib"))
        #expect(repo.isLinkedWorktree)
        #expect(try repo.currentBranch() == "feature")
        #expect(URL(fileURLWithPath: repo.commonDirectory).standardized.path == dir("repo", ".git"))
        // Refs are shared: the target branch is visible from the worktree.
        #expect(try repo.branchTip("main") == repo.branchTip("feature"))
    }

    @Test func openingNothingNamesThePath() throws {
        let dir = ScratchDirectory()
        #expect {
            try Repository.open(at: dir("nowhere"))
        } throws: { error in
            let error = error as! GitError
            return error.code == .notFound && error.description.contains(dir("nowhere")) && error.errorClass != 0
        }
    }

    @Test func clonesFromALocalPathAndAFileURL() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("origin"), files: ["a.txt": "a\n"])
        let byPath = try Repository.clone(from: dir("origin"), to: dir("c1"))
        #expect(try byPath.readFile("a.txt", at: byPath.referenceTarget("HEAD")!) == Data("a\n".utf8))
        let bare = try Repository.clone(from: "file://" + dir("origin"), to: dir("c2.git"), bare: true)
        #expect(bare.isBare)
        #expect(try bare.branchTip("main") == byPath.branchTip("main"))
    }

    @Test func cloningFromAMissingRemoteFailsWithLibgit2sMessage() throws {
        let dir = ScratchDirectory()
        #expect(throws: GitError.self) {
            try Repository.clone(from: dir("absent"), to: dir("c"))
        }
    }

    @Test func errorCarriesClassCodeAndMessage() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        let tip = try #require(try repo.branchTip("main"))
        #expect(throws: GitError.self) { try repo.createBranch("main", at: tip) }
        let other = try #require(ObjectID(hex: String(repeating: "1", count: 40)))
        do {
            try repo.updateBranch("main", to: tip, expecting: other, message: "stale")
            Issue.record("a stale compare-and-swap succeeded")
        } catch let error as GitError {
            #expect(error.code == .modified)
            #expect(error.errorClass != 0, "libgit2's class is carried")
            #expect(!error.message.isEmpty)
            #expect(error.operation.contains("refs/heads/main"))
        }
    }
}
