import Foundation
import OrchCore
import Testing
import TestSupport

/// The server's reads and writes in a home a container controls: planted
/// symlinks are replaced or refused, never followed; FIFOs and big files are not read.
@Suite(.timeLimit(.minutes(1))) struct ConfinedDirectoryTests {
    @Test func aPlantedSymlinkIsReplacedNotFollowedAndASymlinkedFolderIsRefused() throws {
        let dir = ScratchDirectory()
        try FileManager.default.createDirectory(atPath: dir("home/.orch"), withIntermediateDirectories: true)
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: dir("outside")))
        try FileManager.default.createSymbolicLink(atPath: dir("home/.orch/session-id"), withDestinationPath: dir("outside"))
        let home = ConfinedDirectory(root: dir("home"))
        try home.write(Data("0123abcd-0000".utf8), to: ".orch/session-id")
        #expect(try String(contentsOfFile: dir("outside"), encoding: .utf8) == "keep\n", "the link's target is untouched")
        #expect(home.read(".orch/session-id", limit: 64) == Data("0123abcd-0000".utf8))
        #expect((try FileManager.default.attributesOfItem(atPath: dir("home/.orch/session-id")))[.type] as? FileAttributeType == .typeRegular)
        let mode = (try FileManager.default.attributesOfItem(atPath: dir("home/.orch/session-id")))[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try FileManager.default.createDirectory(atPath: dir("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir("home/.claude"), withDestinationPath: dir("elsewhere"))
        #expect(throws: OrchError.self) { try home.write(Data("x".utf8), to: ".claude/settings.json") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("elsewhere")).isEmpty, "nothing written through the folder link")
        #expect(home.read(".claude/settings.json", limit: 64) == nil)
        #expect(throws: OrchError.self) { try home.write(Data("x".utf8), to: "../outside") }
    }

    @Test func readsTakeRegularFilesOnlyWithoutBlockingAndUpToALimit() throws {
        let dir = ScratchDirectory()
        try FileManager.default.createDirectory(atPath: dir("home"), withIntermediateDirectories: true)
        let home = ConfinedDirectory(root: dir("home"))
        #expect(mkfifo(dir("home/fifo"), 0o600) == 0)
        #expect(home.read("fifo", limit: 64) == nil, "a FIFO is not read (and does not block)")
        try FileManager.default.createSymbolicLink(atPath: dir("home/zero"), withDestinationPath: "/dev/zero")
        #expect(home.read("zero", limit: 64) == nil)
        try Data(repeating: 65, count: 1_000).write(to: URL(fileURLWithPath: dir("home/big")))
        #expect(home.read("big", limit: 999) == nil, "over the limit")
        #expect(home.read("big", limit: 10, tail: true) == Data(repeating: 65, count: 10), "or its tail")
        #expect(home.relativePath(of: dir("home/a/b")) == "a/b")
        #expect(home.relativePath(of: dir("home/a/../../x")) == nil && home.relativePath(of: "/etc/passwd") == nil)
    }
}
