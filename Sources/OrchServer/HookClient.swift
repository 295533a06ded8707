import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import OrchCore
import OrchWire

/// The client end of the hook protocol, used by `orch hook` inside containers:
/// one POST to the endpoint, answered or given up within `timeout`.
///
/// ```swift
/// let client = HookClient(endpoint: ChannelAddress(url: env["ORCH_URL"]!)!, token: env["ORCH_TOKEN"]!)
/// if case .reply(200, let body) = await client.send(event: "Stop", body: stdin) { print(body) }
/// ```
public struct HookClient: Sendable {
    /// What came of one call.
    public enum Outcome: Sendable, Equatable {
        /// The server answered with this status and body.
        case reply(status: Int, body: String)
        /// No answer in time, or no server: the caller fails open.
        case unreachable(String)
    }

    /// The server's endpoint (`ORCH_URL`).
    public let endpoint: ChannelAddress
    /// This instance's token (`ORCH_TOKEN`).
    public let token: String
    /// How long to wait for the whole exchange.
    public let timeout: Duration

    /// - Parameters:
    ///   - endpoint: the server's endpoint.
    ///   - token: this instance's token.
    ///   - timeout: how long to wait for the whole exchange.
    public init(endpoint: ChannelAddress, token: String, timeout: Duration = .seconds(5)) {
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout
    }

    /// Posts one hook event.
    /// - Parameters:
    ///   - event: the event's name, as in the request path.
    ///   - body: the hook's JSON, as Claude Code gave it.
    public func send(event: String, body: [UInt8]) async -> Outcome {
        await request(method: .POST, uri: "/hook/\(event.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")", body: body)
    }

    /// Posts JSON to a path of the server's API, e.g. ``ChannelCommand/path(_:)``.
    public func post(_ path: String, body: [UInt8]) async -> Outcome {
        await request(method: .POST, uri: path, body: body)
    }

    /// Reads a path of the server's API, e.g. `/status`.
    /// - Parameters:
    ///   - path: the path.
    /// - Returns: the reply, or why there is none.
    public func get(_ path: String) async -> Outcome {
        await request(method: .GET, uri: path, body: [])
    }

    private func request(method: HTTPMethod, uri: String, body: [UInt8]) async -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        var channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>?
        var lastError = ""
        // A server restarting (after a crash, say) is back within a second or two:
        // keep trying to connect until the deadline rather than lose this event.
        while channel == nil {
            do {
                channel = try await connect(timeout: timeout - (clock.now - start))
            } catch {
                lastError = "\(error)"
                guard clock.now - start + Self.retryPause < timeout else {
                    return .unreachable("cannot connect to \(endpoint.url): \(lastError)")
                }
                try? await Task.sleep(for: Self.retryPause)
            }
        }
        guard let channel else { return .unreachable("cannot connect to \(endpoint.url): \(lastError)") }
        let remaining = timeout - (clock.now - start)
        // Closing the channel ends the exchange however far it got.
        let deadline = Task {
            try await Task.sleep(for: remaining)
            try? await channel.channel.close()
        }
        defer { deadline.cancel() }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
                head.headers.add(name: "Host", value: HookWire.authority(host: endpoint.host, port: endpoint.port))
                head.headers.add(name: "Authorization", value: "Bearer \(token)")
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(body.count))
                head.headers.add(name: "Connection", value: "close")
                // A server may answer before it has read the body (401 on a
                // missing token) and close: its reply still counts, so read on.
                var writeError: Error?
                do {
                    try await outbound.write(.head(head))
                    if !body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                    try await outbound.write(.end(nil))
                } catch {
                    writeError = error
                }
                var status = 0
                var reply = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let head): status = Int(head.status.code)
                    case .body(var chunk): reply.writeBuffer(&chunk)
                    case .end: return .reply(status: status, body: String(buffer: reply))
                    }
                }
                if let writeError { throw writeError }
                return .unreachable("the server closed the connection without a full reply")
            }
        } catch {
            return .unreachable("no reply from \(endpoint.url): \(error)")
        }
    }

    static let retryPause = Duration.milliseconds(100)

    private func connect(timeout: Duration) async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.init(timeout))
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
