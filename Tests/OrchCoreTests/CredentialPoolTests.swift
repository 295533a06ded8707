import Foundation
import Testing
import TestSupport
@testable import OrchCore

@Suite struct CredentialPoolTests {
    static func files(_ dir: ScratchDirectory, count: Int) throws -> [CredentialFile] {
        try (0..<count).map { index in
            let path = dir("creds", "\(index).json")
            try Fixtures.write(["creds/\(index).json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-secret-\#(index)-abcdefghijklmnopqrstuvwxyz"}}"#], in: dir.path)
            return try CredentialFile.load(path: path)
        }
    }

    @Test func eachInstanceGetsItsOwnFileALimitedOneRotatesToASpareAndTheStateSurvivesWithoutSecrets() throws {
        let dir = ScratchDirectory()
        let files = try Self.files(dir, count: 4)
        let instances = InstanceName.all(workerCount: 2)
        let stateFile = dir("run", "credentials.json")
        var pool = try CredentialPool.load(files: files, instances: instances, stateFile: stateFile)
        #expect(instances.map { pool.file(of: $0)?.name } == ["0.json", "1.json", "2.json"])

        let now = Date()
        let first = pool.markLimited(.worker(1), until: now.addingTimeInterval(600))
        let second = pool.markLimited(.worker(1), until: now.addingTimeInterval(900))
        #expect(first && !second, "a second signal of the same limit changes nothing")
        let moved = pool.rotate(.worker(1), now: now)
        #expect(moved?.name == "3.json")
        #expect(pool.entries[files[1].path]?.rotations == 1)
        // worker-2's file is limited too and nothing is free: it keeps its file.
        pool.markLimited(.worker(2), until: now.addingTimeInterval(300))
        let none = pool.rotate(.worker(2), now: now)
        #expect(none == nil)
        #expect(pool.earliestReset == now.addingTimeInterval(300))
        try pool.save()

        let text = try String(contentsOfFile: stateFile, encoding: .utf8)
        #expect(!text.contains("sk-ant-secret"))
        #expect(try FileManager.default.attributesOfItem(atPath: stateFile)[.posixPermissions] as? Int == 0o600)
        // A later server: same files in use, limits kept; after the reset worker-2 goes on with its own file.
        var later = try CredentialPool.load(files: files, instances: instances, stateFile: stateFile, now: now.addingTimeInterval(10))
        #expect(later.file(of: .worker(1))?.name == "3.json")
        #expect(later.limitedUntil(of: .worker(2)) != nil)
        let own = later.rotate(.worker(2), now: now.addingTimeInterval(301))
        #expect(own?.name == "2.json")
    }

    @Test func resetTimesAreReadFromWhatTheClientShows() {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let now = utc.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 12, minute: 0))!
        let evening = RateLimitReset.parse("You've hit your 5-hour limit · resets 6:46pm (UTC)", now: now)
        #expect(evening == utc.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 18, minute: 46)))
        let tomorrow = RateLimitReset.parse("limit reached · resets 9am (UTC)", now: now)
        #expect(tomorrow == utc.date(from: DateComponents(year: 2026, month: 11, day: 26, hour: 9, minute: 0)))
        let paris = RateLimitReset.parse("resets 3pm (Europe/Paris)", now: now)
        #expect(paris == utc.date(from: DateComponents(year: 2026, month: 11, day: 25, hour: 14, minute: 0)))
        let epoch = RateLimitReset.parse(#"{"apiErrorParams":{"anthropic-ratelimit-unified-reset":"1795630000"}}"#, now: now)
        #expect(epoch == Date(timeIntervalSince1970: 1_795_630_000))
        #expect(RateLimitReset.parse("API Error: Request rejected (429) · This request would exceed your account's rate limit.", now: now) == nil)
    }

    /// A move whose restart failed is undone for its two files only: a move of another instance's meanwhile stays.
    @Test func anUndoneMoveKeepsWhatOthersDidMeanwhile() throws {
        let dir = ScratchDirectory()
        let files = try Self.files(dir, count: 5)
        var pool = try CredentialPool.load(files: files, instances: InstanceName.all(workerCount: 2), stateFile: dir("run", "credentials.json"))
        let now = Date()
        pool.markLimited(.worker(1), until: now.addingTimeInterval(600))
        let moved = pool.rotate(.worker(1), now: now)
        let tried = try #require(moved)
        // Meanwhile worker-2 moves too.
        pool.markLimited(.worker(2), until: now.addingTimeInterval(600))
        let movedToo = pool.rotate(.worker(2), now: now)
        let other = try #require(movedToo)
        pool.undoMove(of: .worker(1), from: files[1], to: tried)
        #expect(pool.file(of: .worker(1)) == files[1] && pool.entries[tried.path]?.instance == nil)
        #expect(pool.entries[files[1].path]?.rotations == 0 && pool.limitedUntil(of: .worker(1)) != nil, "the limit stays")
        #expect(pool.file(of: .worker(2)) == other, "worker-2's move is kept")
    }
}
