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

    /// Issue #15 point 2: a `claude setup-token` token pasted on stdin becomes a credential file, 0600; the token is
    /// never echoed, an existing file is never replaced, and what is not a token is refused naming why.
    @Test func aPastedTokenBecomesACredentialFileThatOrchReads() throws {
        let dir = ScratchDirectory()
        let token = "sk-ant-oat01-" + String(repeating: "Zq9", count: 30)
        let file = dir("credentials", "team-a.json")
        let made = try run(orchExecutable, ["init", "--token-file", file], input: token + "\n")
        #expect(made.status == 0 && made.stdout.contains("wrote \(file)"), "\(made.stderr)")
        #expect(!(made.stdout + made.stderr).contains("Zq9Zq9"), "the token is not echoed")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: [String: String]]
        #expect(written?["env"]?["CLAUDE_CODE_OAUTH_TOKEN"] == token)

        let again = try run(orchExecutable, ["init", "--token-file", file], input: "sk-ant-oat01-other\n")
        #expect(again.status == 2 && again.stderr.contains("exists already"), "\(again.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains(token), "kept as it was")
        for (input, message) in [("", "no token on stdin"), ("two words\n", "not one line of printable characters"),
                                 ("sk-ant-api03-abc\n", "that is an API key")] {
            let refused = try run(orchExecutable, ["init", "--token-file", dir("credentials", "bad.json")], input: input)
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(refused.stderr)")
            #expect(!refused.stderr.contains("sk-ant-api03-abc") && !refused.stderr.contains("two words"), "the input is not quoted")
        }
        #expect(!FileManager.default.fileExists(atPath: dir("credentials", "bad.json")))
    }
}
