import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct MergeTests {
    func setUp(_ dir: ScratchDirectory, files: [String: String]) throws -> (Repository, ObjectID) {
        try Fixtures.repository(at: dir("repo"), files: files)
        let repo = try Repository.open(at: dir("repo"))
        return (repo, try #require(try repo.branchTip("main")))
    }

    @Test func analysisTellsUpToDateFastForwardAndNormal() throws {
        let dir = ScratchDirectory()
        let (repo, base) = try setUp(dir, files: ["a": "a\n"])
        let ahead = ObjectID(hex: try Fixtures.commit(["b": "b\n"], on: "ahead", message: "b", in: dir("repo")))!
        #expect(try repo.analyzeMerge(of: base, into: ahead) == .upToDate)
        #expect(try repo.analyzeMerge(of: ahead, into: base) == .fastForward)
        let other = ObjectID(hex: try Fixtures.commit(["c": "c\n"], on: "other", message: "c", in: dir("repo")))!
        #expect(try repo.analyzeMerge(of: other, into: ahead) == .normal(base: base))
    }

    @Test func cleanMergeInMemoryMatchesTheGitCLI() throws {
        let dir = ScratchDirectory()
        let (repo, _) = try setUp(dir, files: ["a.txt": "1\n2\n3\n", "b.txt": "x\n"])
        let ours = ObjectID(hex: try Fixtures.commit(["a.txt": "one\n2\n3\n"], on: "ours", message: "o", in: dir("repo")))!
        let theirs = ObjectID(hex: try Fixtures.commit(["a.txt": "1\n2\nthree\n", "c.txt": "c\n"], on: "theirs", message: "t", in: dir("repo")))!
        guard case .clean(let tree) = try repo.mergeTrees(ours: ours, theirs: theirs) else {
            Issue.record("expected a clean merge"); return
        }
        let expected = try git("merge-tree", "--write-tree", ours.hex, theirs.hex, in: dir("repo"))
        #expect(tree.hex == expected)
    }

    @Test func renamesAreFollowed() throws {
        let dir = ScratchDirectory()
        let body = (1...40).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let (repo, base) = try setUp(dir, files: ["old.txt": body])
        // Ours renames the file; theirs edits it under the old name.
        try git("switch", "-q", "-c", "ours", in: dir("repo"))
        try git("mv", "old.txt", "new.txt", in: dir("repo"))
        try git("commit", "-q", "-m", "rename", in: dir("repo"))
        let ours = try #require(try repo.branchTip("ours"))
        let theirs = ObjectID(hex: try Fixtures.commit(["old.txt": body.replacingOccurrences(of: "line 20\n", with: "LINE TWENTY\n")], on: "theirs", from: base.hex, message: "edit", in: dir("repo")))!
        guard case .clean(let tree) = try repo.mergeTrees(ours: ours, theirs: theirs) else {
            Issue.record("expected rename detection to merge cleanly"); return
        }
        let merged = try repo.createCommit(tree: tree, parents: [ours, theirs], message: "m")
        #expect(try repo.readFile("old.txt", at: merged) == nil)
        #expect(try String(decoding: #require(try repo.readFile("new.txt", at: merged)), as: UTF8.self).contains("LINE TWENTY"))
    }

    @Test func conflictsAreListedWithTheirKinds() throws {
        let dir = ScratchDirectory()
        let (repo, base) = try setUp(dir, files: ["both.txt": "1\n", "gone.txt": "1\n"])
        let ours = ObjectID(hex: try Fixtures.commit(["both.txt": "ours\n", "added.txt": "ours\n", "gone.txt": "changed\n"], on: "ours", message: "o", in: dir("repo")))!
        try git("switch", "-q", "-c", "theirs", base.hex, in: dir("repo"))
        try Fixtures.write(["both.txt": "theirs\n", "added.txt": "theirs\n"], in: dir("repo"))
        try git("rm", "-q", "gone.txt", in: dir("repo"))
        try git("add", "-A", in: dir("repo"))
        try git("commit", "-q", "-m", "t", in: dir("repo"))
        let theirs = try #require(try repo.branchTip("theirs"))
        let refsBefore = try git("for-each-ref", in: dir("repo"))
        guard case .conflicted(let conflicts) = try repo.mergeTrees(ours: ours, theirs: theirs) else {
            Issue.record("expected conflicts"); return
        }
        #expect(conflicts == [
            MergeConflict(path: "added.txt", kind: .bothAdded),
            MergeConflict(path: "both.txt", kind: .bothModified),
            MergeConflict(path: "gone.txt", kind: .deletedByThem),
        ])
        #expect(try git("for-each-ref", in: dir("repo")) == refsBefore)
        #expect(try git("status", "--porcelain", in: dir("repo")) == "")
    }
}

@Suite struct RenameConflictTests {
    @Test func renamedOnBothSidesIsARenameConflict() throws {
        let dir = ScratchDirectory()
        let body = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try Fixtures.repository(at: dir("repo"), files: ["a.txt": body])
        let repo = try Repository.open(at: dir("repo"))
        try git("switch", "-q", "-c", "ours", in: dir("repo"))
        try git("mv", "a.txt", "b.txt", in: dir("repo"))
        try git("commit", "-q", "-m", "to b", in: dir("repo"))
        try git("switch", "-q", "-c", "theirs", "main", in: dir("repo"))
        try git("mv", "a.txt", "c.txt", in: dir("repo"))
        try git("commit", "-q", "-m", "to c", in: dir("repo"))
        guard case .conflicted(let conflicts) = try repo.mergeTrees(ours: #require(try repo.branchTip("ours")), theirs: #require(try repo.branchTip("theirs"))) else {
            Issue.record("expected a conflict"); return
        }
        #expect(Set(conflicts.map(\.path)).isSuperset(of: ["b.txt", "c.txt"]))
        #expect(conflicts.allSatisfy { $0.kind == .renamed })
    }
}
