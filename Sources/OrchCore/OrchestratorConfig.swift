import Foundation

/// `orchestrator.json`, validated: every problem names the file and the field.
///
/// ```swift
/// let config = try OrchestratorConfig.load(directory: "~/.config/orch")
/// print(config.workerCount, config.credentialFiles)
/// ```
public struct OrchestratorConfig: Equatable, Sendable {
    /// Per-container limits.
    public struct Resources: Equatable, Sendable {
        /// CPUs per container.
        public var cpus: Double?
        /// Memory per container, in Docker's notation (`4g`, `512m`).
        public var memory: String?
        /// Processes per container: a fork bomb in agent-run code stops there.
        public var pids = 2_048

        public init(cpus: Double? = nil, memory: String? = nil, pids: Int = 2_048) {
            self.cpus = cpus
            self.memory = memory
            self.pids = pids
        }
    }

    /// The repository to orchestrate.
    public var repositoryURL: String
    /// The target branch.
    public var branch: String
    /// How many workers, 1…64.
    public var workerCount: Int
    /// The credential files' glob as written.
    public var claudeConfigs: String
    /// The Docker image every instance runs.
    public var image: String
    /// The containers' Docker network mode.
    public var network: String
    /// Extra environment for every container.
    public var environment: [String: String]
    /// The state directory, when the config sets one.
    public var stateDirectory: String?
    /// The dashboard's loopback port; 0 turns it off.
    public var dashboardPort: Int
    /// Per-container limits.
    public var resources: Resources?
    /// When instances are restarted and when they are given up (`health`).
    public var health: HealthPolicy = HealthPolicy()
    /// The identity instances commit under (with the instance named); nil takes the host user's, see ``GitIdentity``.
    public var gitIdentity: GitIdentity?
    /// Whether `orch/worker-N` and `orch/manager` are pushed too, for people to review work in progress.
    public var pushWorkerBranches = true
    /// How orch reaches `repositoryUrl` (authentication, fetch interval).
    public var remote = RemoteSettings()
    /// Where the hook endpoint listens and how containers reach it.
    public var channel = ChannelSettings()
    /// Write a refreshed OAuth credential back to its file in `claudeConfigs` (``CredentialCustody``).
    public var writeBackCredentials = true
    /// The command a merge must pass before the target moves; nil merges at once.
    public var mergeCheck: MergeCheck?

    /// The number of instances: the workers and the manager.
    public var instanceCount: Int { workerCount + 1 }

    /// Reads `DIR/orchestrator.json`.
    /// - Parameters:
    ///   - directory: the config directory.
    /// - Throws: ``OrchError`` (usage) naming the file and field of the first problem.
    public static func load(directory: String) throws -> OrchestratorConfig {
        let file = (expandingTilde(directory) as NSString).appendingPathComponent("orchestrator.json")
        guard let data = FileManager.default.contents(atPath: file) else {
            throw OrchError.usage("\(file): cannot read the file (run `orch init --config \(directory)` to write one)")
        }
        return try parse(data, file: file)
    }

    /// Parses a config's text; lines whose first non-blank characters are `//` are comments.
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - file: the file's path, for messages.
    /// - Throws: ``OrchError`` (usage) naming the file and field.
    public static func parse(_ data: Data, file: String) throws -> OrchestratorConfig {
        let text = String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String($0) }
            .joined(separator: "\n")
        do {
            return try JSONDecoder().decode(OrchestratorConfig.self, from: Data(text.utf8))
        } catch let error as ConfigFieldError where error.field.isEmpty {
            throw OrchError.usage("\(file): \(error.message.replacingOccurrences(of: "expected an object", with: "expected a JSON object at the top"))")
        } catch let error as ConfigFieldError {
            throw OrchError.usage("\(file): field \(error.field): \(error.message)")
        } catch {
            throw OrchError.usage("\(file): not valid JSON (\(Self.jsonProblem(error)))")
        }
    }

    static func jsonProblem(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else { return "unreadable" }
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return underlying ?? context.debugDescription
    }
}

/// Replaces a leading `~` with the home directory.
/// - Parameters:
///   - path: a path that may start with `~/`.
public func expandingTilde(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
    return home + path.dropFirst()
}
