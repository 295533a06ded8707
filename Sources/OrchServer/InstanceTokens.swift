import Foundation
import OrchCore

/// One secret per instance, passed to its container as `ORCH_TOKEN`: the
/// receiver learns who calls from the token alone, so a worker cannot act as
/// another instance or as the manager.
///
/// Kept in `<state>/run/tokens.json` (mode 0600) so that containers still
/// running after a crash of the server are recognised by the next one.
///
/// ```swift
/// let tokens = try InstanceTokens.loadOrCreate(file: layout.run + "/tokens.json", instances: workspace.instances)
/// tokens.instance(for: request.bearer)   // .worker(2)
/// ```
public struct InstanceTokens: Sendable {
    private let byInstance: [InstanceName: String]
    private let byToken: [String: InstanceName]

    /// - Parameters:
    ///   - tokens: each instance's token; tokens must be distinct.
    public init(_ tokens: [InstanceName: String]) {
        byInstance = tokens
        byToken = Dictionary(tokens.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads the tokens file, adding a fresh token for every instance it lacks.
    /// - Parameters:
    ///   - file: the tokens file.
    ///   - instances: every instance of this run.
    /// - Throws: ``OrchError`` when the file cannot be written.
    public static func loadOrCreate(file: String, instances: [InstanceName]) throws -> InstanceTokens {
        var stored: [String: String] = [:]
        if let data = FileManager.default.contents(atPath: file),
           let decoded = try? JSONDecoder().decode([String: String].self, from: data) {
            stored = decoded
        }
        var tokens: [InstanceName: String] = [:]
        var changed = false
        for instance in instances {
            if let token = stored["\(instance)"], token.count == 64, token.allSatisfy(\.isHexDigit) {
                tokens[instance] = token
            } else {
                tokens[instance] = Self.randomToken()
                changed = true
            }
        }
        if changed || !FileManager.default.fileExists(atPath: file) {
            let directory = (file as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var all = stored
            for (instance, token) in tokens { all["\(instance)"] = token }
            let data = try JSONEncoder().encode(all)
            guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw OrchError.failure("cannot write \(file)")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        return InstanceTokens(tokens)
    }

    /// The token of an instance.
    /// - Parameters:
    ///   - instance: the instance.
    public func token(for instance: InstanceName) -> String? { byInstance[instance] }

    /// The instance a token belongs to, or nil for an unknown token.
    /// - Parameters:
    ///   - token: what the caller sent.
    public func instance(for token: String) -> InstanceName? { byToken[token] }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
