import Foundation
import OrchCore
import Testing
import TestSupport

@Suite struct ProjectInitTests {
    var templates: TemplateDirectory {
        TemplateDirectory(path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("templates").path)
    }

    @Test func writesTheConfigAndTheProjectDirection() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["sub/file.txt": "x\n"])
        let written = try ProjectInit(configDirectory: dir("config"), repositoryPath: dir("repo", "sub"), repositoryURL: "/srv/\"repo\"",
                                      branch: "trunk", workerCount: 4, claudeConfigs: "~/creds/*.json").run(templates: templates)
        #expect(written.config == dir("config", "orchestrator.json"))
        #expect(written.projectDirection == dir("repo", "PROJECT_DIRECTION.md"))
        let config = try String(contentsOfFile: written.config, encoding: .utf8)
        #expect(!config.contains("{{"))
        // With its // comment lines dropped, the template is valid JSON carrying the values.
        let json = config.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        #expect(object["repositoryUrl"] as? String == "/srv/\"repo\"")
        #expect(object["workerCount"] as? Int == 4)
        #expect(object["branch"] as? String == "trunk")
        #expect(object["claudeConfigs"] as? String == "~/creds/*.json")
        #expect(try String(contentsOfFile: dir("repo", "PROJECT_DIRECTION.md"), encoding: .utf8).hasPrefix("# Project direction"))
    }

    @Test func refusesToOverwriteOrToWriteInsideTheRepository() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("repo"), files: ["PROJECT_DIRECTION.md": "mine\n"])
        let first = try ProjectInit(configDirectory: dir("config"), repositoryPath: dir("repo"), repositoryURL: "u", branch: "main", workerCount: 1, claudeConfigs: "c")
        #expect(try first.run(templates: templates).projectDirection == nil, "an existing direction is kept")
        #expect(try String(contentsOfFile: dir("repo", "PROJECT_DIRECTION.md"), encoding: .utf8) == "mine\n")
        #expect { try first.run(templates: templates) } throws: { ($0 as! OrchError).message.contains("exists; not overwriting") }
        let inside = try ProjectInit(configDirectory: dir("repo", ".orch"), repositoryPath: dir("repo"), repositoryURL: "u", branch: "main", workerCount: 1, claudeConfigs: "c")
        #expect { try inside.run(templates: templates) } throws: { ($0 as! OrchError).message.contains("inside the repository") }
        #expect(!FileManager.default.fileExists(atPath: dir("repo", ".orch")))
        #expect(throws: OrchError.self) { try ProjectInit(configDirectory: "x", repositoryPath: nil, repositoryURL: "u", branch: "main", workerCount: 65, claudeConfigs: "c") }
    }
}
