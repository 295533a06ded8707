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

    /// The number of instances: the workers and the manager.
    public var instanceCount: Int { workerCount + 1 }

    static let knownFields: Set<String> = [
        "repositoryUrl", "branch", "workerCount", "claudeConfigs", "image", "network", "env", "stateDir", "dashboardPort", "resources", "health",
        "gitIdentity", "pushWorkerBranches", "remote",
    ]

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
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw OrchError.usage("\(file): not valid JSON (\(Self.jsonProblem(error)))")
        }
        guard case .object(let fields) = root else {
            throw OrchError.usage("\(file): expected a JSON object at the top, found \(root.typeName)")
        }
        func fail(_ field: String, _ message: String) -> OrchError { OrchError.usage("\(file): field \(field): \(message)") }
        if let unknown = fields.keys.sorted().first(where: { !knownFields.contains($0) }) {
            throw fail(unknown, "unknown field (known: \(knownFields.sorted().joined(separator: ", ")))")
        }
        func string(_ field: String, required: Bool = false) throws -> String? {
            switch fields[field] {
            case nil:
                if required { throw fail(field, "missing; it is required") }
                return nil
            case .string(let value):
                guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(field, "is empty") }
                return value
            case let other?: throw fail(field, "expected a string, found \(other.typeName)")
            }
        }
        func integer(_ field: String, in range: ClosedRange<Int>, required: Bool = false) throws -> Int? {
            switch fields[field] {
            case nil:
                if required { throw fail(field, "missing; it is required") }
                return nil
            case .number(let value):
                guard value.rounded() == value, let number = Int(exactly: value), range.contains(number) else {
                    throw fail(field, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(value.formatted())")
                }
                return number
            case let other?: throw fail(field, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \(other.typeName)")
            }
        }

        var environment: [String: String] = [:]
        switch fields["env"] {
        case nil: break
        case .object(let entries):
            for (key, value) in entries {
                guard case .string(let text) = value else { throw fail("env.\(key)", "expected a string, found \(value.typeName)") }
                guard !key.isEmpty, !key.contains("="), key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw fail("env.\(key)", "not a valid environment variable name")
                }
                environment[key] = text
            }
        case let other?: throw fail("env", "expected an object of strings, found \(other.typeName)")
        }

        var resources: Resources?
        switch fields["resources"] {
        case nil: break
        case .object(let entries):
            var limits = Resources()
            for (key, value) in entries {
                switch (key, value) {
                case ("cpus", .number(let cpus)) where cpus > 0: limits.cpus = cpus
                case ("memory", .string(let memory)) where memory.range(of: #"^[0-9]+[bkmgBKMG]?$"#, options: .regularExpression) != nil:
                    limits.memory = memory
                case ("cpus", _): throw fail("resources.cpus", "expected a positive number, found \(value.typeName)")
                case ("memory", _): throw fail("resources.memory", "expected a size like \"4g\" or \"512m\"")
                default: throw fail("resources.\(key)", "unknown field (known: cpus, memory)")
                }
            }
            resources = limits
        case let other?: throw fail("resources", "expected an object, found \(other.typeName)")
        }

        var health = HealthPolicy()
        switch fields["health"] {
        case nil: break
        case .object(let entries):
            for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
                guard HealthPolicy.fields.contains(key) else {
                    throw fail("health.\(key)", "unknown field (known: \(HealthPolicy.fields.joined(separator: ", ")))")
                }
                guard case .number(let number) = value else {
                    throw fail("health.\(key)", "expected a positive number, found \(value.typeName)")
                }
                guard number > 0, number.isFinite else {
                    throw fail("health.\(key)", "expected a positive number, found \(number.formatted())")
                }
                switch key {
                case "checkSeconds": health.checkSeconds = number
                case "silenceSeconds": health.silenceSeconds = number
                case "windowSeconds": health.windowSeconds = number
                case "backoffSeconds": health.backoffSeconds = number
                case "maxBackoffSeconds": health.maxBackoffSeconds = number
                case "rateLimitSeconds": health.rateLimitSeconds = number
                default:
                    guard let count = Int(exactly: number), (1...1000).contains(count) else {
                        throw fail("health.maxRestarts", "expected a whole number from 1 to 1000, found \(number.formatted())")
                    }
                    health.maxRestarts = count
                }
            }
        case let other?: throw fail("health", "expected an object, found \(other.typeName)")
        }

        var config = OrchestratorConfig(
            repositoryURL: try string("repositoryUrl", required: true)!,
            branch: try string("branch") ?? "main",
            workerCount: try integer("workerCount", in: 1...64, required: true)!,
            claudeConfigs: try string("claudeConfigs", required: true)!,
            image: try string("image") ?? "orch-claude:latest",
            network: try string("network") ?? "bridge",
            environment: environment,
            stateDirectory: try string("stateDir"),
            dashboardPort: try integer("dashboardPort", in: 0...65535) ?? 7420,
            resources: resources
        )
        config.health = health
        try config.parseRemoteFields(fields, fail: fail)
        return config
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
