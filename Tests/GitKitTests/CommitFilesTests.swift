import Foundation
import GitKit
import Testing
import TestSupport

@Suite struct CommitFilesTests {
    @Test func commitsToABranchWithoutTouchingTheWorkingTree() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["README.md": "hi\n"])
        try git("switch", "-q", "-c", "elsewhere", in: dir("repo"))
        try "local edit\n".write(toFile: dir("repo", "README.md"), atomically: true, encoding: .utf8)
        let statusBefore = try git("status", "--porcelain", in: dir("repo"))

        let repo = try Repository.open(at: dir("repo"))
        let outcome = try repo.commitFiles(to: "main", message: "Add docs") { tip in
            let readme = try tip.file("README.md")
            #expect(readme == Data("hi\n".utf8))
            return [.write(path: "docs/guide.md", contents: Data("guide\n".utf8)),
                    .write(path: "README.md", contents: Data("hi there\n".utf8))]
        }
        guard case .committed(let commit) = outcome else { Issue.record("nothing committed"); return }
        #expect(try git("rev-parse", "main", in: dir("repo")) == commit.hex)
        #expect(try git("show", "main:docs/guide.md", in: dir("repo")) == "guide")
        #expect(try git("show", "main:README.md", in: dir("repo")) == "hi there")
        #expect(try git("log", "-1", "--format=%s", "main", in: dir("repo")) == "Add docs")
        // The checked-out branch, its index and files are as they were.
        #expect(try git("status", "--porcelain", in: dir("repo")) == statusBefore)
        #expect(try String(contentsOfFile: dir("repo", "README.md"), encoding: .utf8) == "local edit\n")
    }

    @Test func removesFilesAndReportsNoChange() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["a": "1", "b": "2"])
        let repo = try Repository.open(at: dir("repo"))
        let before = try repo.branchTip("main")
        #expect(try repo.commitFiles(to: "main", message: "same") { _ in [.write(path: "a", contents: Data("1".utf8))] } == .unchanged(before))
        #expect(try repo.commitFiles(to: "main", message: "none") { _ in nil } == .unchanged(before))
        try repo.commitFiles(to: "main", message: "drop b") { _ in [.remove(path: "b")] }
        #expect(try git("ls-tree", "--name-only", "main", in: dir("repo")) == "a")
    }

    @Test func createsAnUnbornBranch() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let repo = try Repository.open(at: dir("repo"))
        try repo.commitFiles(to: "notes", message: "root") { tip in
            #expect(tip.commit == nil)
            return [.write(path: "n.txt", contents: Data("n".utf8))]
        }
        #expect(try git("rev-list", "--count", "notes", in: dir("repo")) == "1")
    }

    @Test func concurrentWritersAllLand() async throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["log.txt": ""])
        let path = dir("repo")
        // Eight tasks, each with its own handle (libgit2 handles are single-owner), racing on one ref.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    let repo = try Repository.open(at: path)
                    for line in 0..<5 {
                        try repo.commitFiles(to: "main", message: "w\(writer) l\(line)") { tip in
                            let old = try tip.file("log.txt") ?? Data()
                            return [.write(path: "log.txt", contents: old + Data("w\(writer) l\(line)\n".utf8))]
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let log = try git("show", "main:log.txt", in: path).split(separator: "\n")
        #expect(log.count == 40)
        #expect(Set(log).count == 40)
        #expect(try git("rev-list", "--count", "main", in: path) == "41")
    }
}

@Suite struct BranchCreationRaceTests {
    @Test func concurrentCreatorsOfOneNewBranchLoseNoCommit() async throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let path = dir("repo")
        for round in 0..<20 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        let repo = try Repository.open(at: path)
                        try repo.commitFiles(to: "fresh-\(round)", message: "w\(writer)") { tip in
                            let old = try tip.file("log") ?? Data()
                            return [.write(path: "log", contents: old + Data("w\(writer)\n".utf8))]
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try git("show", "fresh-\(round):log", in: path).split(separator: "\n").count == 4)
        }
    }
}
