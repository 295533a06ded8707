import Foundation
import GitKit

/// Writes a starting configuration and project direction: `orch init`.
public struct ProjectInit: Sendable {
    /// What `run` wrote.
    public struct Written: Equatable, Sendable {
        /// The config file, always written (or the run fails).
        public var config: String
        /// `PROJECT_DIRECTION.md`, when a repository lacked it.
        public var projectDirection: String?
    }

    /// The config directory.
    public let configDirectory: String
    /// The repository whose working tree gets `PROJECT_DIRECTION.md`, if any.
    public let repositoryPath: String?
    /// Values for the template.
    public let repositoryURL: String
    /// The target branch.
    public let branch: String
    /// How many workers.
    public let workerCount: Int
    /// The credential files' glob.
    public let claudeConfigs: String

    /// - Parameters:
    ///   - configDirectory: where `orchestrator.json` goes (created if missing).
    ///   - repositoryPath: a path inside the repository to orchestrate, or nil outside one.
    ///   - repositoryURL: the value for `repositoryUrl`.
    ///   - branch: the target branch.
    ///   - workerCount: how many workers, 1…64.
    ///   - claudeConfigs: the credential files' glob.
    /// - Throws: ``OrchError`` (usage) for a worker count out of range.
    public init(configDirectory: String, repositoryPath: String?, repositoryURL: String, branch: String, workerCount: Int, claudeConfigs: String) throws {
        guard (1...64).contains(workerCount) else {
            throw OrchError.usage("--workers must be from 1 to 64, got \(workerCount)")
        }
        self.configDirectory = configDirectory
        self.repositoryPath = repositoryPath
        self.repositoryURL = repositoryURL
        self.branch = branch
        self.workerCount = workerCount
        self.claudeConfigs = claudeConfigs
    }

    /// Writes the files; refuses to overwrite a config, and to put it inside the repository.
    /// - Parameters:
    ///   - templates: orch's templates.
    /// - Returns: the paths written.
    /// - Throws: ``OrchError`` (usage) when the config exists or would sit inside the repository.
    public func run(templates: TemplateDirectory) throws -> Written {
        let configDirectory = URL(fileURLWithPath: self.configDirectory).standardizedFileURL.path
        let configFile = (configDirectory as NSString).appendingPathComponent("orchestrator.json")
        if FileManager.default.fileExists(atPath: configFile) {
            throw OrchError.usage("\(configFile) exists; not overwriting it (remove it or choose another --config)")
        }
        let workdir = try repositoryPath.flatMap { try Repository.open(at: $0).workingDirectory }.map {
            URL(fileURLWithPath: $0).standardizedFileURL.path
        }
        if let workdir, configDirectory == workdir || configDirectory.hasPrefix(workdir + "/") {
            throw OrchError.usage("--config \(configDirectory) is inside the repository \(workdir); the config directory must be outside it")
        }
        let config = try templates.render("orchestrator.json", [
            "repositoryUrl": jsonEscaped(repositoryURL), "branch": jsonEscaped(branch),
            "workerCount": String(workerCount), "claudeConfigs": jsonEscaped(claudeConfigs),
        ])
        var written = Written(config: configFile)
        var direction: (path: String, text: String)?
        if let workdir {
            let path = (workdir as NSString).appendingPathComponent("PROJECT_DIRECTION.md")
            if !FileManager.default.fileExists(atPath: path) {
                direction = (path, try templates.render("PROJECT_DIRECTION.md"))
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: configDirectory, withIntermediateDirectories: true)
            try Data(config.utf8).write(to: URL(fileURLWithPath: configFile), options: .withoutOverwriting)
            if let direction {
                try Data(direction.text.utf8).write(to: URL(fileURLWithPath: direction.path), options: .withoutOverwriting)
                written.projectDirection = direction.path
            }
        } catch {
            throw OrchError.failure("cannot write \(configFile): \(error.localizedDescription)")
        }
        return written
    }

    private func jsonEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
