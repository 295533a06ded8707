import Foundation
import OrchWire

/// Where the hook endpoint listens and how containers reach it (`channel` in
/// `orchestrator.json`). Every field is optional: by default the endpoint binds
/// where the configured network's containers reach the host (loopback for
/// `host`, the network's gateway otherwise, loopback on Docker Desktop, reached
/// as `host.docker.internal`), never every interface, on a port chosen at the
/// first start and kept for later ones (running containers keep their URL).
///
/// ```json
/// "channel": {"listen": "10.0.0.5", "port": 7431, "url": "http://10.0.0.5:7431"}
/// ```
public struct ChannelSettings: Equatable, Sendable {
    /// The address the endpoint binds; nil: derived from the network.
    public var listen: String?
    /// The TCP port; nil: chosen once, then kept in the state directory.
    public var port: Int?
    /// The endpoint's base URL as seen from the containers; nil: `http://<listen>:<port>`.
    public var url: String?

    /// - Parameters: see the properties.
    public init(listen: String? = nil, port: Int? = nil, url: String? = nil) {
        self.listen = listen
        self.port = port
        self.url = url
    }
}

extension ChannelSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let object = try ConfigObject(decoder, known: ["listen", "port", "url"])
        self.init()
        if let listen = try object.string("listen") {
            guard ChannelAddress.isIPLiteral(listen) else {
                throw object.fail("listen", "expected an IPv4 or IPv6 address such as 127.0.0.1, found \"\(listen.prefix(60))\"")
            }
            self.listen = listen
        }
        port = try object.integer("port", in: 1...65535)
        if let url = try object.string("url") {
            guard let parsed = ChannelAddress(url: url) else {
                throw object.fail("url", "expected http://HOST:PORT (the endpoint as seen from the containers), found \"\(url.prefix(80))\"")
            }
            guard port == nil || parsed.port == port else {
                throw object.fail("url", "names port \(parsed.port) but channel.port is \(port!)")
            }
            self.url = url
        }
    }
}

/// An `http://host:port` base URL, the only form the channel speaks.
public struct ChannelAddress: Sendable, Equatable {
    /// The host (a name or an address; IPv6 without brackets).
    public var host: String
    /// The port.
    public var port: Int

    /// - Parameters:
    ///   - host: the host.
    ///   - port: the port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port` with an optional trailing `/`; nil for anything else.
    /// - Parameters:
    ///   - url: the text.
    public init?(url: String) {
        guard let (host, port) = HookWire.parse(url: url) else { return nil }
        self.host = host
        self.port = port
    }

    /// The URL: `http://host:port`.
    public var url: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    /// Whether `text` is an IPv4 or IPv6 address literal.
    /// - Parameters:
    ///   - text: the text.
    public static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
