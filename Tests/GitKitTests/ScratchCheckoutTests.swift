import Foundation
import GitKit
import Testing
import TestSupport

/// The merge gate's worktree: a folder of its own, written by libgit2, then handed to code orch does not trust.
@Suite struct ScratchCheckoutTests {
    @Test func onlyWhatChangedIsWrittenBuildProductsStayAndEditedFilesAreRestored() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"), files: ["src/a.txt": "a\n", "src/b.txt": "b\n", "gone.txt": "g\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("repo.git"), in: dir.path)
        let repo = try Repository.open(at: dir("repo.git"))
        let first = try repo.treeID(ofCommit: try #require(try repo.branchTip("main")))
        try repo.checkOutTree(first, into: dir("work"), indexFile: dir("index"))
        #expect(try String(contentsOfFile: dir("work", "src/a.txt"), encoding: .utf8) == "a\n")
        // The check built something and edited a tracked file.
        try Fixtures.write([".build/out.o": "obj", "src/b.txt": "edited by the check\n"], in: dir("work"))
        let untouched = try FileManager.default.attributesOfItem(atPath: dir("work", "src/a.txt"))[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        let next = try repo.tree(first, applying: [.write(path: "src/c.txt", contents: Data("c\n".utf8)), .remove(path: "gone.txt")])
        try repo.checkOutTree(next, into: dir("work"), indexFile: dir("index"))
        #expect(try String(contentsOfFile: dir("work", "src/c.txt"), encoding: .utf8) == "c\n")
        #expect(!FileManager.default.fileExists(atPath: dir("work", "gone.txt")))
        #expect(try String(contentsOfFile: dir("work", "src/b.txt"), encoding: .utf8) == "b\n", "a tracked file the check changed is put back")
        #expect(FileManager.default.fileExists(atPath: dir("work", ".build/out.o")), "build products stay: the next build is incremental")
        let after = try FileManager.default.attributesOfItem(atPath: dir("work", "src/a.txt"))[.modificationDate] as? Date
        #expect(after == untouched, "an unchanged file is not rewritten")
        // Removing what the tree does not track: the build products go too.
        try repo.checkOutTree(next, into: dir("work"), indexFile: dir("index"), removingUntracked: true)
        #expect(!FileManager.default.fileExists(atPath: dir("work", ".build/out.o")))
        #expect(try String(contentsOfFile: dir("work", "src/c.txt"), encoding: .utf8) == "c\n")
        // The repository's own references and index are as they were.
        #expect(try git("status", "--porcelain", in: dir("seed")).isEmpty)
    }

    @Test func aLinkTheCheckPlantedIsNotFollowedOutOfTheFolder() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"), files: ["src/a.txt": "a\n", "top.txt": "t\n", "fifo.txt": "f\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("repo.git"), in: dir.path)
        let repo = try Repository.open(at: dir("repo.git"))
        let first = try repo.treeID(ofCommit: try #require(try repo.branchTip("main")))
        try repo.checkOutTree(first, into: dir("work"), indexFile: dir("index"))
        // Hostile code replaced the folder src with a link to a folder outside.
        try FileManager.default.createDirectory(atPath: dir("outside"), withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: dir("work", "src"))
        try FileManager.default.createSymbolicLink(atPath: dir("work", "src"), withDestinationPath: dir("outside"))
        // And a tracked file with a link to a file outside.
        try "victim\n".write(toFile: dir("victim.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir("work", "top.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir("work", "top.txt"), withDestinationPath: dir("victim.txt"))
        let next = try repo.tree(first, applying: [.write(path: "src/a.txt", contents: Data("changed\n".utf8)),
                                                   .write(path: "src/new.txt", contents: Data("new\n".utf8)),
                                                   .write(path: "top.txt", contents: Data("t2\n".utf8)),
                                                   .write(path: "fifo.txt", contents: Data("f2\n".utf8))])
        // And a FIFO where a file goes: writing it would block for ever.
        try FileManager.default.removeItem(atPath: dir("work", "fifo.txt"))
        #expect(mkfifo(dir("work", "fifo.txt"), 0o600) == 0)
        try repo.checkOutTree(next, into: dir("work"), indexFile: dir("index"))
        #expect(try String(contentsOfFile: dir("work", "fifo.txt"), encoding: .utf8) == "f2\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("outside")).isEmpty, "nothing written through the link")
        #expect(try String(contentsOfFile: dir("victim.txt"), encoding: .utf8) == "victim\n")
        #expect(try String(contentsOfFile: dir("work", "src/a.txt"), encoding: .utf8) == "changed\n")
        #expect(try String(contentsOfFile: dir("work", "top.txt"), encoding: .utf8) == "t2\n")
    }
}
