import Foundation
import OrchWire

/// Where the hook endpoint listens and how containers reach it (`channel` in
/// `orchestrator.json`). Every field is optional: by default the endpoint binds
/// where the configured network's containers reach the host (loopback for
/// `host`, the network's gateway otherwise, loopback on Docker Desktop, reached
/// as `host.docker.internal`), never every interface, on a port chosen at the
/// first start and kept for later ones (running containers keep their URL).
///
/// `hooks` picks how Claude Code hands events over: `"command"` (the default)
/// runs `orch-hook` per event, which retries while the server restarts and
/// moves the instance's commits; `"http"` has Claude Code post them itself
/// (its native `type: http` hooks), which needs the endpoint as an IP address.
///
/// ```json
/// "channel": {"listen": "10.0.0.5", "port": 7431, "url": "http://10.0.0.5:7431", "hooks": "command"}
/// ```
public struct ChannelSettings: Equatable, Sendable {
    /// How hook events reach the endpoint.
    public enum HookTransport: String, Sendable, CaseIterable {
        /// `orch-hook EVENT` per event (command hooks).
        case command
        /// Claude Code's own HTTP hooks; SessionStart, which it does not send over HTTP, stays a command.
        case http
    }

    /// The address the endpoint binds; nil: derived from the network.
    public var listen: String?
    /// The TCP port; nil: chosen once, then kept in the state directory.
    public var port: Int?
    /// The endpoint's base URL as seen from the containers; nil: `http://<listen>:<port>`.
    public var url: String?
    /// How hook events reach the endpoint.
    public var hooks: HookTransport

    /// - Parameters: see the properties.
    public init(listen: String? = nil, port: Int? = nil, url: String? = nil, hooks: HookTransport = .command) {
        self.listen = listen
        self.port = port
        self.url = url
        self.hooks = hooks
    }
}

extension ChannelSettings: Decodable {
    public init(from decoder: any Decoder) throws {
        let object = try ConfigObject(decoder, known: ["listen", "port", "url", "hooks"])
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
        if let hooks = try object.string("hooks") {
            guard let transport = HookTransport(rawValue: hooks) else {
                throw object.fail("hooks", "expected \"command\" or \"http\", found \"\(hooks.prefix(40))\"")
            }
            self.hooks = transport
        }
        if hooks == .http, let url, let host = ChannelAddress(url: url)?.host, !ChannelAddress.isIPLiteral(host) {
            throw object.fail("hooks", Self.httpNeedsAnAddress(host: host))
        }
    }

    /// Why `"hooks": "http"` cannot use an endpoint named `host`.
    public static func httpNeedsAnAddress(host: String) -> String {
        "\"http\" needs the endpoint as an IP address, not \(host): Claude Code refuses an HTTP hook whose host name resolves "
            + "to a private address; set channel.url to http://ADDRESS:PORT, or use \"command\""
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
    public var url: String { "http://" + HookWire.authority(host: host, port: port) }

    /// Whether `text` is an IPv4 or IPv6 address literal.
    /// - Parameters:
    ///   - text: the text.
    public static func isIPLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
