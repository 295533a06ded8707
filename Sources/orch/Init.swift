import ArgumentParser
import Foundation
import OrchCore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a commented orchestrator.json and, in a repository, PROJECT_DIRECTION.md."
    )

    @Option(help: ArgumentHelp("The config directory (outside the repository).", valueName: "dir"))
    var config: String = Init.defaultConfigDirectory

    @Option(name: .customLong("repository-url"), help: "repositoryUrl for the config (default: this repository's path).")
    var repositoryURL: String?

    @Option(help: "The target branch.")
    var branch: String = "main"

    @Option(help: "workerCount for the config, 1 to 64.")
    var workers: Int = 3

    @Option(name: .customLong("claude-configs"), help: "Glob of credential files for the config.")
    var claudeConfigs: String = "~/.config/orch/credentials/*.json"

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "Only write this credential file from a `claude setup-token` token pasted on stdin (never give it as an argument).", valueName: "path"))
    var tokenFile: String?

    static var defaultConfigDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/orch"
    }

    func validate() throws {
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be from 1 to 64, got \(workers)") }
    }

    func run() throws {
        if let tokenFile {
            if isatty(STDIN_FILENO) == 1 {
                FileHandle.standardError.write(Data("Paste the token `claude setup-token` printed, then press Enter and Ctrl-D:\n".utf8))
            }
            let pasted = String(decoding: FileHandle.standardInput.readDataToEndOfFile().prefix(8192), as: UTF8.self)
            try LongLivedToken(pasted: pasted).write(to: tokenFile)
            print("wrote \(tokenFile) (CLAUDE_CODE_OAUTH_TOKEN, mode 0600)")
            return
        }
        let repositoryPath = (try? ProjectRepository(path: FileManager.default.currentDirectoryPath))?.workingDirectory
        let initializer = try ProjectInit(
            configDirectory: config, repositoryPath: repositoryPath,
            repositoryURL: repositoryURL ?? repositoryPath ?? "https://example.com/your/repo.git",
            branch: branch, workerCount: workers, claudeConfigs: claudeConfigs)
        let written = try initializer.run(templates: TemplateDirectory.locate())
        print("wrote \(written.config)")
        if let direction = written.projectDirection {
            print("wrote \(direction) — describe the project there and commit it to \(branch)")
        }
    }
}
