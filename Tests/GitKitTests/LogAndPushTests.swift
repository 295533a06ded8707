import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct LogAndPushTests {
    @Test func commitsSinceTheMergeBaseWithTheirTrailers() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        try Fixtures.commit(["a": "a"], on: "orch/worker-1", message: "Do A\n\nOrch-Task: T-0001", in: dir("repo"))
        try Fixtures.commit(["b": "b"], on: "orch/worker-1", message: "Do B\n\nBody text.\n\nSigned-off-by: X <x@y>\nOrch-Task: T-0002", in: dir("repo"))
        try Fixtures.commit(["m": "m"], on: "main", message: "main moves\n\nOrch-Task: T-0099", in: dir("repo"))
        let commits = try repo.commits(from: #require(try repo.branchTip("orch/worker-1")), excluding: repo.branchTip("main"))
        #expect(commits.map(\.summary) == ["Do B", "Do A"])
        #expect(commits.flatMap { $0.trailerValues("orch-task") } == ["T-0002", "T-0001"])
        #expect(commits[0].trailers.first == Trailer(key: "Signed-off-by", value: "X <x@y>"))
    }

    @Test func aTrailerOutsideTheLastParagraphDoesNotCount() {
        #expect(Repository.trailers(of: "Title\n\nOrch-Task: T-0001\n\nmore prose\n").isEmpty)
    }

    @Test func pushesTheTargetToOrigin() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"))
        try git("clone", "-q", "--bare", dir("seed"), dir("origin.git"), in: dir.path)
        let clone = try Repository.clone(from: dir("origin.git"), to: dir("state.git"), bare: true)
        let commit = try clone.commitFiles(to: "main", message: "new task") { _ in [.write(path: "T.md", contents: Data("t".utf8))] }
        try clone.push(branch: "main")
        guard case .committed(let id) = commit else { Issue.record("no commit"); return }
        #expect(try git("rev-parse", "main", in: dir("origin.git")) == id.hex)
    }

    @Test func aRejectedPushThrows() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"))
        try git("clone", "-q", "--bare", dir("seed"), dir("origin.git"), in: dir.path)
        let clone = try Repository.clone(from: dir("origin.git"), to: dir("state.git"), bare: true)
        // Origin moves on; our main diverges.
        try Fixtures.commit(["x": "x"], on: "main", message: "elsewhere", in: dir("origin.git"))
        try clone.commitFiles(to: "main", message: "here") { _ in [.write(path: "y", contents: Data("y".utf8))] }
        #expect(throws: GitError.self) { try clone.push(branch: "main") }
    }

    @Test func copyingObjectsCarriesOnlyTheTipsHistoryThatTheDestinationLacks() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"))
        try git("clone", "-q", "--bare", dir("seed"), dir("dest.git"), in: dir.path)
        try git("clone", "-q", "--bare", dir("seed"), dir("source.git"), in: dir.path)
        try Fixtures.commit(["work.txt": "in progress\n"], on: "orch/worker-1", message: "work", in: dir("source.git"))
        let tip = try Fixtures.commit(["m.txt": "m\n"], on: "main", message: "m", in: dir("source.git"))
        let source = try Repository.open(at: dir("source.git"))
        func stats() throws -> (objects: Int, packs: Int) {
            let lines = try git("count-objects", "-v", in: dir("dest.git")).split(separator: "\n")
            func value(_ key: String) -> Int { Int(lines.first { $0.hasPrefix(key + ": ") }!.dropFirst(key.count + 2))! }
            return (value("in-pack") + value("count"), value("packs"))
        }
        let before = try stats()
        try source.copyObjects(reachableFrom: [ObjectID(hex: tip)!], into: Repository.open(at: dir("dest.git")))
        #expect(try git("cat-file", "-t", tip, in: dir("dest.git")) == "commit")
        #expect(try git("cat-file", "-p", "\(tip):m.txt", in: dir("dest.git")) == "m")
        let work = try git("rev-parse", "orch/worker-1:work.txt", in: dir("source.git"))
        #expect((try? git("cat-file", "-e", work, in: dir("dest.git"))) == nil, "another branch's objects stay behind")
        #expect(try stats().objects == before.objects + 3, "the new commit, its tree and its blob")
        try git("update-ref", "refs/heads/main", tip, in: dir("dest.git"))
        try source.copyObjects(reachableFrom: [ObjectID(hex: tip)!], into: Repository.open(at: dir("dest.git")))
        #expect(try stats().packs == before.packs + 1, "nothing new, no second pack")
    }
}
