import Foundation
import OrchWire

/// One instance's HOME: Claude Code's settings with orch's hooks, `.claude.json`
/// with every first-run dialog answered, its own copy of one credential file,
/// and its role prompt. Written before the instance's client starts, never while
/// it runs (an exiting client rewrites `.claude.json`).
public struct InstanceHome: Sendable {
    /// The hook events orch listens to.
    public static let hookEvents = HookEventName.allCases.filter(\.isHook).map(\.rawValue)
    /// How long Claude Code lets each of orch's hooks run (`orch hook` gives up just before).
    public static let hookTimeoutSeconds = HookWire.timeoutSeconds

    /// The instance.
    public let instance: InstanceName
    /// The HOME folder on the host (mounted at the same path in the container).
    public let path: String
    /// The instance's worktree, which Claude Code must trust.
    public let worktree: String

    /// - Parameters:
    ///   - instance: the instance.
    ///   - layout: the state directory's layout.
    public init(instance: InstanceName, layout: StateLayout) {
        self.instance = instance
        self.path = layout.home(instance)
        self.worktree = layout.worktree(instance)
    }

    /// Where Claude Code keeps an OAuth credential, relative to the home.
    public static let credentialsFile = ".claude/.credentials.json"

    /// Claude Code's settings folder.
    public var claudeDirectory: String { path + "/.claude" }
    /// The role prompt orch starts the instance with.
    public var promptFile: String { path + "/.orch/prompt.md" }
    /// Claude Code's user settings: orch's hooks and the credential's `env`.
    public var settingsFile: String { claudeDirectory + "/settings.json" }

    /// Writes the home. The credential's secret goes only into files under it, mode 0600.
    /// - Parameters:
    ///   - credential: the credential file this instance uses.
    ///   - prompt: the role prompt.
    /// - Throws: ``OrchError`` naming the file that could not be read or written (never its contents).
    ///   - custody: where the freshest copy of an OAuth file is kept; nil reads the file itself.
    public func write(credential: CredentialFile, prompt: String, custody: CredentialCustody? = nil) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let approvedKeys = try writeSettings(credential: credential, custody: custody)
        let state: [String: Any] = [
            "hasCompletedOnboarding": true,
            "projects": [worktree: ["hasTrustDialogAccepted": true]],
            "customApiKeyResponses": ["approved": approvedKeys, "rejected": [String]()],
        ]
        try writePrivate(try JSONSerialization.data(withJSONObject: state, options: [.prettyPrinted, .sortedKeys]), to: path + "/.claude.json")
        try writePrivate(Data(prompt.utf8), to: promptFile)
    }

    /// Puts another credential file in place, keeping the rest of the home
    /// (conversations, Claude's own state). Only while the instance is stopped:
    /// a running client rewrites `.claude.json` on exit.
    /// - Parameters:
    ///   - credential: the new file.
    /// - Throws: ``OrchError`` naming the file when it cannot be read or written.
    public func switchCredential(to credential: CredentialFile, custody: CredentialCustody? = nil) throws {
        let approvedKeys = try writeSettings(credential: credential, custody: custody)
        var state = (files.read(".claude.json", limit: Self.stateFileLimit)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }) ?? ["hasCompletedOnboarding": true]
        var responses = state["customApiKeyResponses"] as? [String: Any] ?? [:]
        let approved = responses["approved"] as? [String] ?? []
        responses["approved"] = approved + approvedKeys.filter { !approved.contains($0) }
        responses["rejected"] = responses["rejected"] ?? [String]()
        state["customApiKeyResponses"] = responses
        try writePrivate(try JSONSerialization.data(withJSONObject: state, options: [.prettyPrinted, .sortedKeys]), to: path + "/.claude.json")
    }

    /// Writes `settings.json` (orch's hooks, the credential's `env`) or `.credentials.json`.
    /// - Returns: the API keys' last 20 characters, which `.claude.json` must list as approved.
    private func writeSettings(credential: CredentialFile, custody: CredentialCustody?) throws -> [String] {
        // An OAuth file's freshest copy: the source may hold a refresh token another instance already used.
        guard let data = custody?.freshest(credential) ?? FileManager.default.contents(atPath: credential.path),
              case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            throw OrchError.usage("credential file \(credential.path): cannot read it")
        }
        // orch's hooks are the image's managed settings (InstanceImage.managedSettings), beyond any file here.
        // Claude Code would wait out a claude.ai usage limit and carry on by itself; orch moves or pauses the
        // instance instead, and the two must not race (docs/usage-signals.md).
        var settings: [String: Any] = ["skipDangerousModePermissionPrompt": true, "autoContinueAtUsageLimit": false]
        var approvedKeys: [String] = []
        let credentialsFile = path + "/" + Self.credentialsFile
        switch credential.kind {
        case .oauth:
            try writePrivate(data, to: credentialsFile)
        case .apiKey, .oauthToken:
            files.remove(Self.credentialsFile)
            guard case .object(let env)? = fields["env"] else { throw OrchError.usage("credential file \(credential.path): field env is missing") }
            var values: [String: String] = [:]
            for (key, value) in env { if case .string(let text) = value { values[key] = text } }
            settings["env"] = values
            if let key = values["ANTHROPIC_API_KEY"] { approvedKeys.append(String(key.suffix(20))) }
        }
        try writePrivate(try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys]), to: settingsFile)
        return approvedKeys
    }

    /// The home as the server touches it: nothing in it is trusted (the container writes it).
    var files: ConfinedDirectory { ConfinedDirectory(root: path) }

    /// Claude Code's `.claude.json` grows with its projects; a bigger one is not Claude's.
    static let stateFileLimit = 16 << 20

    private func writePrivate(_ data: Data, to file: String) throws {
        guard let relative = files.relativePath(of: file) else { throw OrchError.failure("\(file) is not in \(path)") }
        try files.write(data, to: relative, mode: 0o600)
    }
}
