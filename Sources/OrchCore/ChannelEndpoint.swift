import Foundation

/// Where a running server's hook endpoint is, kept in `<state>/run/endpoint.json`
/// (0600, no secret): the next `orch serve` binds the same port, so containers
/// that outlived a crash keep reaching it, and `orch status` on the host finds it.
///
/// ```swift
/// let endpoint = ChannelEndpoint(listen: "172.17.0.1", port: 40213, containerURL: "http://172.17.0.1:40213")
/// try endpoint.save(to: layout.endpoint)
/// ChannelEndpoint.load(from: layout.endpoint)?.hostURL   // "http://172.17.0.1:40213"
/// ```
public struct ChannelEndpoint: Codable, Sendable, Equatable {
    /// The address the endpoint binds.
    public var listen: String
    /// The TCP port.
    public var port: Int
    /// The base URL containers are given as `ORCH_URL`.
    public var containerURL: String

    /// - Parameters: see the properties.
    public init(listen: String, port: Int, containerURL: String) {
        self.listen = listen
        self.port = port
        self.containerURL = containerURL
    }

    /// The base URL from this machine: the bound address (loopback for a wildcard bind).
    public var hostURL: String {
        let host = listen == "0.0.0.0" ? "127.0.0.1" : listen == "::" ? "::1" : listen
        return ChannelAddress(host: host, port: port).url
    }

    /// The record a previous server left, or nil.
    /// - Parameters:
    ///   - file: the endpoint file.
    public static func load(from file: String) -> ChannelEndpoint? {
        FileManager.default.contents(atPath: file).flatMap { try? JSONDecoder().decode(ChannelEndpoint.self, from: $0) }
    }

    /// Writes the record, 0600, in place of the last.
    /// - Parameters:
    ///   - file: the endpoint file.
    /// - Throws: ``OrchError`` when it cannot be written.
    public func save(to file: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        let temporary = file + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]),
              rename(temporary, file) == 0 else {
            throw OrchError.failure("cannot write \(file)")
        }
    }
}
