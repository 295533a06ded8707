import Foundation
import Testing
import TestSupport

@Suite struct InitCommandTests {
    @Test func writesTheTemplatesFoundNextToTheBinaryAndRefusesASecondRun() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"))
        let first = try run(orchExecutable, ["init", "--config", dir("config"), "--workers", "5"], in: dir("repo"))
        #expect(first.status == 0, "\(first.stderr)")
        let config = try String(contentsOfFile: dir("config", "orchestrator.json"), encoding: .utf8)
        #expect(config.contains("\"workerCount\": 5"))
        #expect(config.contains("\"repositoryUrl\": \"\(dir("repo"))\""))
        #expect(FileManager.default.fileExists(atPath: dir("repo", "PROJECT_DIRECTION.md")))

        let second = try run(orchExecutable, ["init", "--config", dir("config")], in: dir("repo"))
        #expect(second.status == 2)
        #expect(second.stderr.contains("orchestrator.json exists"))
        let bad = try run(orchExecutable, ["init", "--config", dir("other"), "--workers", "0"], in: dir("repo"))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--workers must be from 1 to 64, got 0"))
        #expect(!FileManager.default.fileExists(atPath: dir("other")))
    }
}
