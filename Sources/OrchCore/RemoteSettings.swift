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

extension RemoteSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let object = try ConfigObject(decoder, known: Self.fields)
        for (key, value) in object.fields.sorted(by: { $0.key < $1.key }) {
            if key == "fetchSeconds" {
                guard case .number(let seconds) = value, seconds.isFinite, seconds >= 1 else {
                    throw object.fail(key, "expected a number of seconds, 1 or more")
                }
                fetchSeconds = seconds
                continue
            }
            let text = try object.string(key)!
            switch key {
            case "sshKey": sshKey = text
            case "knownHosts": knownHosts = text
            case "tokenEnv":
                guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw object.fail(key, "not an environment variable name") }
                tokenEnv = text
            case "tokenFile": tokenFile = text
            default: username = text
            }
        }
        if tokenEnv != nil && tokenFile != nil {
            throw object.fail("tokenFile", "give either remote.tokenEnv or remote.tokenFile, not both")
        }
    }
}
