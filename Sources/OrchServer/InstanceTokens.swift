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
/// let tokens = try InstanceTokens.loadOrCreate(file: layout.tokens, instances: workspace.instances)
/// tokens.caller(for: request.bearer)   // .instance(.worker(2))
/// ```
public struct InstanceTokens: Sendable {
    /// Who a token belongs to.
    public enum Caller: Sendable, Equatable {
        /// An instance (its container's `ORCH_TOKEN`).
        case instance(InstanceName)
        /// The person on the server's machine (`orch status`); may read, not send hook events.
        case `operator`
    }

    /// The key of the operator's token in the tokens file.
    static let operatorKey = "operator"

    private let byInstance: [InstanceName: String]
    private let operatorToken: String?

    /// - Parameters:
    ///   - tokens: each instance's token; tokens must be distinct.
    ///   - operatorToken: the token `orch status` on the host reads from the tokens file.
    public init(_ tokens: [InstanceName: String], operatorToken: String? = nil) {
        byInstance = tokens
        self.operatorToken = operatorToken
    }

    /// Reads the tokens file, adding a fresh token for every instance it lacks, and the operator's.
    /// - Parameters:
    ///   - file: the tokens file.
    ///   - instances: every instance of this run.
    /// - Throws: ``OrchError`` when the file cannot be written.
    public static func loadOrCreate(file: String, instances: [InstanceName]) throws -> InstanceTokens {
        var stored = readFile(file)
        var changed = false
        for key in instances.map({ "\($0)" }) + [operatorKey] where !(stored[key].map(isWellFormed) ?? false) {
            stored[key] = randomToken()
            changed = true
        }
        if changed || !FileManager.default.fileExists(atPath: file) {
            let directory = (file as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let data = try JSONEncoder().encode(stored)
            guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw OrchError.failure("cannot write \(file)")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        let tokens = Dictionary(uniqueKeysWithValues: instances.compactMap { instance in stored["\(instance)"].map { (instance, $0) } })
        return InstanceTokens(tokens, operatorToken: stored[operatorKey])
    }

    /// The operator's token from a tokens file, for `orch status` on the host; nil when there is none.
    /// - Parameters:
    ///   - file: the tokens file.
    public static func operatorToken(inFile file: String) -> String? {
        readFile(file)[operatorKey].flatMap { isWellFormed($0) ? $0 : nil }
    }

    /// The token of an instance.
    /// - Parameters:
    ///   - instance: the instance.
    public func token(for instance: InstanceName) -> String? { byInstance[instance] }

    /// The operator's token.
    public var operatorSecret: String? { operatorToken }

    /// Every token a tokens file holds, to scrub from text that leaves orch (nothing when it cannot be read).
    public static func secrets(inFile file: String) -> [String] { Array(readFile(file).values) }

    /// Every token, to scrub from text that leaves the server.
    var allSecrets: [String] { Array(byInstance.values) + [operatorToken].compactMap { $0 } }

    /// Who sent a token, or nil for an unknown one. Every known token is
    /// compared in full, in time that depends on neither's content, so the
    /// answer's timing tells a caller nothing about how close a guess was.
    /// - Parameters:
    ///   - token: what the caller sent.
    public func caller(for token: String) -> Caller? {
        let sent = Array(token.utf8)
        var found: Caller?
        for (instance, known) in byInstance where Self.equalInConstantTime(sent, Array(known.utf8)) { found = .instance(instance) }
        if let operatorToken, Self.equalInConstantTime(sent, Array(operatorToken.utf8)) { found = .operator }
        return found
    }

    /// The instance a token belongs to, or nil for an unknown token or the operator's.
    /// - Parameters:
    ///   - token: what the caller sent.
    public func instance(for token: String) -> InstanceName? {
        if case .instance(let instance)? = caller(for: token) { return instance }
        return nil
    }

    static func equalInConstantTime(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static func readFile(_ file: String) -> [String: String] {
        FileManager.default.contents(atPath: file).flatMap { try? JSONDecoder().decode([String: String].self, from: $0) } ?? [:]
    }

    private static func isWellFormed(_ token: String) -> Bool { token.utf8.count == 64 && token.allSatisfy(\.isHexDigit) }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
