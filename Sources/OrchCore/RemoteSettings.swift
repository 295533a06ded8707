import Foundation
import GitKit

/// `remote` in `orchestrator.json`: how orch authenticates to `repositoryUrl`
/// and how often it looks for upstream changes. Secrets are never in the file:
/// an https token comes from an environment variable or a file it names.
public struct RemoteSettings: Equatable, Sendable {
    /// A private ssh key file; nil uses the ssh agent.
    public var sshKey: String?
    /// The known_hosts file ssh host keys are checked against.
    public var knownHosts = "~/.ssh/known_hosts"
    /// The environment variable holding an https token.
    public var tokenEnv: String?
    /// A file holding an https token.
    public var tokenFile: String?
    /// The user name sent with the token (`x-access-token` suits GitHub; GitLab takes `oauth2`).
    public var username = "x-access-token"
    /// Seconds between fetches of the remote target.
    public var fetchSeconds: Double = 30

    /// The variable read for a token when neither `tokenEnv` nor `tokenFile` is set.
    public static let defaultTokenVariable = "ORCH_GIT_TOKEN"
    static let fields = ["fetchSeconds", "knownHosts", "sshKey", "tokenEnv", "tokenFile", "username"]

    public init() {}

    /// Reads `remote` from a config's top-level fields.
    static func parse(_ value: JSONValue?, fail: (String, String) -> OrchError) throws -> RemoteSettings {
        var settings = RemoteSettings()
        guard let value else { return settings }
        guard case .object(let entries) = value else { throw fail("remote", "expected an object, found \(value.typeName)") }
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            let field = "remote.\(key)"
            guard fields.contains(key) else { throw fail(field, "unknown field (known: \(fields.joined(separator: ", ")))") }
            if key == "fetchSeconds" {
                guard case .number(let seconds) = value, seconds.isFinite, seconds >= 1 else {
                    throw fail(field, "expected a number of seconds, 1 or more")
                }
                settings.fetchSeconds = seconds
                continue
            }
            guard case .string(let text) = value, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail(field, value.typeName == "a string" ? "is empty" : "expected a string, found \(value.typeName)")
            }
            switch key {
            case "sshKey": settings.sshKey = text
            case "knownHosts": settings.knownHosts = text
            case "tokenEnv":
                guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw fail(field, "not an environment variable name") }
                settings.tokenEnv = text
            case "tokenFile": settings.tokenFile = text
            default: settings.username = text
            }
        }
        if settings.tokenEnv != nil && settings.tokenFile != nil {
            throw fail("remote.tokenFile", "give either remote.tokenEnv or remote.tokenFile, not both")
        }
        return settings
    }

    /// Reads the secret the settings point at and checks the files they name.
    /// - Parameters:
    ///   - configFile: the config's path, for messages.
    ///   - environment: where `tokenEnv` is looked up.
    /// - Throws: ``OrchError`` (usage) naming the field whose file or variable is missing.
    public func access(configFile: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RemoteAccess {
        func fail(_ field: String, _ message: String) -> OrchError { .usage("\(configFile): field remote.\(field): \(message)") }
        var access = RemoteAccess(knownHosts: expandingTilde(knownHosts), httpUser: username)
        if let sshKey {
            let path = expandingTilde(sshKey)
            guard FileManager.default.isReadableFile(atPath: path) else { throw fail("sshKey", "cannot read \(path)") }
            access.sshKey = path
        }
        if let tokenFile {
            let path = expandingTilde(tokenFile)
            guard let data = FileManager.default.contents(atPath: path) else { throw fail("tokenFile", "cannot read \(path)") }
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw fail("tokenFile", "\(path) is empty") }
            (access.httpToken, access.httpTokenSource) = (token, path)
        } else if let tokenEnv {
            guard let token = environment[tokenEnv]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
                throw fail("tokenEnv", "$\(tokenEnv) is not set in orch's environment")
            }
            (access.httpToken, access.httpTokenSource) = (token, "$\(tokenEnv)")
        } else if let token = environment[Self.defaultTokenVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            (access.httpToken, access.httpTokenSource) = (token, "$\(Self.defaultTokenVariable)")
        }
        return access
    }
}
