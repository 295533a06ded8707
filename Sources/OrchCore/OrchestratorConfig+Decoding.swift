import Foundation

/// `orchestrator.json` decoded, each object by the type it fills; a problem
/// is a ``ConfigFieldError`` naming the field.
extension OrchestratorConfig: Decodable {
    static let knownFields = [
        "repositoryUrl", "branch", "workerCount", "claudeConfigs", "image", "network", "env", "stateDir", "dashboardPort", "resources", "health",
        "gitIdentity", "pushWorkerBranches", "remote", "channel", "writeBackCredentials", "mergeCheck",
    ]

    public init(from decoder: any Decoder) throws {
        let object = try ConfigObject(decoder, known: Self.knownFields)
        let environment = try object.nested(Environment.self, "env")?.values ?? [:]
        let resources = try object.nested(Resources.self, "resources")
        let health = try object.nested(HealthPolicy.self, "health") ?? HealthPolicy()
        self.init(
            repositoryURL: try object.string("repositoryUrl", required: true)!,
            branch: try object.string("branch") ?? "main",
            workerCount: try object.integer("workerCount", in: 1...64, required: true)!,
            claudeConfigs: try object.string("claudeConfigs", required: true)!,
            image: try object.string("image") ?? "orch-claude:latest",
            network: try object.string("network") ?? "bridge",
            environment: environment,
            stateDirectory: try object.string("stateDir"),
            dashboardPort: try object.integer("dashboardPort", in: 0...65535) ?? 7420,
            resources: resources
        )
        self.health = health
        try checkRepositoryURL(object)
        remote = try object.nested(RemoteSettings.self, "remote") ?? RemoteSettings()
        pushWorkerBranches = try object.bool("pushWorkerBranches") ?? true
        gitIdentity = try object.nested(GitIdentity.self, "gitIdentity")
        channel = try object.nested(ChannelSettings.self, "channel") ?? ChannelSettings()
        writeBackCredentials = try object.bool("writeBackCredentials") ?? true
        mergeCheck = try object.nested(MergeCheck.self, "mergeCheck")
    }

    /// A secret in the URL is refused (it would be in orch's clone config and in logs); so is a relative path.
    private mutating func checkRepositoryURL(_ object: ConfigObject) throws {
        if Self.urlHoldsPassword(repositoryURL) {
            throw object.fail("repositoryUrl", "holds a user, password or token; remove it and give the token through remote.tokenEnv or remote.tokenFile (the user through remote.username)")
        }
        if repositoryURL.hasPrefix("~") { repositoryURL = expandingTilde(repositoryURL) }
        if !repositoryURL.hasPrefix("/"), !repositoryURL.contains("://"), !RemoteSync.isSCPLike(repositoryURL) {
            // The server clones, fetches and pushes from wherever it was started; a relative path would move with it.
            throw object.fail("repositoryUrl", "\(repositoryURL) is a relative path; write it from / or as a URL")
        }
    }
}

/// `env`: variable names to strings.
private struct Environment: Decodable {
    let values: [String: String]

    init(from decoder: any Decoder) throws {
        let path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        let value = try JSONValue(from: decoder)
        guard case .object(let entries) = value else {
            throw ConfigFieldError(field: path, message: "expected an object of strings, found \(value.typeName)")
        }
        var values: [String: String] = [:]
        for (key, value) in entries {
            guard case .string(let text) = value else { throw ConfigFieldError(field: "\(path).\(key)", message: "expected a string, found \(value.typeName)") }
            guard !key.isEmpty, !key.contains("="), key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ConfigFieldError(field: "\(path).\(key)", message: "not a valid environment variable name")
            }
            values[key] = text
        }
        self.values = values
    }
}

extension OrchestratorConfig.Resources: Decodable {
    public init(from decoder: any Decoder) throws {
        let object = try ConfigObject(decoder, known: ["cpus", "memory", "pids"])
        switch object.fields["cpus"] {
        case nil: break
        case .number(let cpus) where cpus > 0: self.cpus = cpus
        case let other?: throw object.fail("cpus", "expected a positive number, found \(other.typeName)")
        }
        switch object.fields["memory"] {
        case nil: break
        case .string(let memory) where memory.range(of: #"^[0-9]+[bkmgBKMG]?$"#, options: .regularExpression) != nil: self.memory = memory
        case _?: throw object.fail("memory", "expected a size like \"4g\" or \"512m\"")
        }
        pids = try object.integer("pids", in: 64...1_000_000) ?? pids
    }
}

extension HealthPolicy: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let object = try ConfigObject(decoder, known: Self.fields)
        for key in object.fields.keys.sorted() {
            let number = try object.positiveNumber(key)!
            switch key {
            case "checkSeconds": checkSeconds = number
            case "silenceSeconds": silenceSeconds = number
            case "windowSeconds": windowSeconds = number
            case "backoffSeconds": backoffSeconds = number
            case "maxBackoffSeconds": maxBackoffSeconds = number
            case "rateLimitSeconds": rateLimitSeconds = number
            case "rateLimitSignalSeconds": rateLimitSignalSeconds = number
            case "rotateAtPercent":
                guard number <= 100 else { throw object.fail(key, "expected a percentage above 0 and at most 100, found \(number.formatted())") }
                rotateAtPercent = number
            default:
                guard let count = Int(exactly: number), (1...1000).contains(count) else {
                    throw object.fail(key, "expected a whole number from 1 to 1000, found \(number.formatted())")
                }
                maxRestarts = count
            }
        }
    }
}

extension GitIdentity: Decodable {
    public init(from decoder: any Decoder) throws {
        let object = try ConfigObject(decoder, known: ["name", "email"])
        var parts: [String: String] = [:]
        for key in ["name", "email"] {
            guard case .string(let text)? = object.fields[key], !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw object.fail(key, object.fields[key] == nil ? "missing; it is required" : "expected a non-empty string")
            }
            guard !text.contains(where: { $0 == "<" || $0 == ">" || $0.isNewline }) else {
                throw object.fail(key, "must not hold <, > or a line break")
            }
            parts[key] = text
        }
        self.init(name: parts["name"]!, email: parts["email"]!)
    }
}
