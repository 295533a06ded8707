import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One credential file of the `claudeConfigs` pool. Only its name and kind are
/// kept: the secret inside is read again when an instance's home is written, so
/// no value of orch's ever holds it to be logged by mistake.
public struct CredentialFile: Equatable, Sendable {
    /// What the file holds.
    public enum Kind: String, Equatable, Sendable {
        /// `{"claudeAiOauth": {...}}`, written as the instance's `.credentials.json`.
        case oauth
        /// `{"env": {"ANTHROPIC_API_KEY": "..."}}`, merged into its settings.
        case apiKey
        /// `{"env": {"CLAUDE_CODE_OAUTH_TOKEN": "..."}}`, merged into its settings.
        case oauthToken
    }

    /// The file's absolute path.
    public let path: String
    /// What it holds.
    public let kind: Kind

    /// The file's name, which is what orch shows.
    public var name: String { (path as NSString).lastPathComponent }

    /// Reads and checks a credential file.
    /// - Parameters:
    ///   - path: the file.
    /// - Throws: ``OrchError`` (usage) naming the file and what is wrong with it,
    ///   never its contents.
    public static func load(path: String) throws -> CredentialFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OrchError.usage("credential file \(path): cannot read it")
        }
        // The decoder's messages can quote the input, so they are not passed on.
        guard let root = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let fields) = root else {
            throw OrchError.usage("credential file \(path): not a JSON object")
        }
        if case .object(let oauth)? = fields["claudeAiOauth"] {
            guard case .string(let token)? = oauth["accessToken"], !token.isEmpty else {
                throw OrchError.usage("credential file \(path): field claudeAiOauth.accessToken: missing or not a non-empty string")
            }
            return CredentialFile(path: path, kind: .oauth)
        }
        if case .object(let env)? = fields["env"] {
            for (key, kind) in [("ANTHROPIC_API_KEY", Kind.apiKey), ("CLAUDE_CODE_OAUTH_TOKEN", .oauthToken)] {
                if case .string(let secret)? = env[key] {
                    guard !secret.isEmpty else { throw OrchError.usage("credential file \(path): field env.\(key): is empty") }
                    return CredentialFile(path: path, kind: kind)
                }
            }
            throw OrchError.usage("credential file \(path): field env: needs ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN as a string")
        }
        throw OrchError.usage("credential file \(path): expected a claudeAiOauth object or an env object")
    }

    /// The files a glob names, sorted; a leading `~` is the home directory.
    /// - Parameters:
    ///   - pattern: e.g. `~/.config/orch/credentials/*.json`.
    public static func paths(matching pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(expandingTilde(pattern), 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}

extension OrchestratorConfig {
    /// Loads every file of the `claudeConfigs` pool, checking there is one per instance at least.
    /// - Parameters:
    ///   - configFile: the config's path, for messages.
    /// - Throws: ``OrchError`` (usage) naming the field, the glob or the file.
    public func credentialFiles(configFile: String) throws -> [CredentialFile] {
        let paths = CredentialFile.paths(matching: claudeConfigs)
        guard paths.count >= instanceCount else {
            throw OrchError.usage(
                "\(configFile): field claudeConfigs: \"\(claudeConfigs)\" matches \(paths.count) file(s); "
                    + "need at least \(instanceCount), one per instance (\(workerCount) workers and the manager)")
        }
        return try paths.map(CredentialFile.load(path:))
    }
}
