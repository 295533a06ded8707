import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import OrchWire

/// What one HTTP listener of orch's allows a client: how many connections at
/// once, how long one may sit idle, how long a request may take to arrive,
/// and how large its body may be. The hook endpoint and the dashboard both
/// use them: a container is hostile, and a slow client must not hold file
/// descriptors or the event loop.
///
/// ```swift
/// let limits = HTTPLimits()
/// Application(router: router, server: limits.server(), configuration: limits.configuration(address: address, name: "orch", logger: logger))
/// ```
public struct HTTPLimits: Sendable {
    /// Connections served at once; more wait in the kernel's backlog.
    public var maximumConnections = 256
    /// A connection with no request for this long is closed.
    public var idleTimeout: TimeAmount = .seconds(5)
    /// A request whose head and body have not all arrived this long after its first byte is dropped.
    public var requestTimeout: TimeAmount = .seconds(10)
    /// The largest body read.
    public var maximumBody = HookWire.maximumBody

    /// - Parameters: see the properties.
    public init(maximumConnections: Int = 256, idleTimeout: TimeAmount = .seconds(5), requestTimeout: TimeAmount = .seconds(10),
                maximumBody: Int = HookWire.maximumBody) {
        self.maximumConnections = maximumConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maximumBody = maximumBody
    }

    /// The HTTP/1 server with the idle timeout and the request deadline.
    public func server() -> HTTPServerBuilder {
        let requestTimeout = self.requestTimeout
        return .http1(configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(timeout: requestTimeout)], idleTimeout: idleTimeout))
    }

    /// The application's configuration with the connection cap.
    /// - Parameters:
    ///   - address: where to bind.
    ///   - name: the `Server` header.
    ///   - logger: where the cap's trace lines go.
    public func configuration(address: BindAddress, name: String, logger: Logger) -> ApplicationConfiguration {
        .init(address: address, serverName: name, availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections, logger: logger))
    }
}

/// Closes a connection whose request has not fully arrived within `timeout`
/// of its head: Hummingbird's idle timeout counts from the last HTTP part, so
/// a client that trickles a body byte by byte would otherwise keep it forever.
/// The wait for a request's head is the idle timeout's (no part arrives
/// while a head is incomplete).
final class RequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            deadline = context.eventLoop.scheduleTask(in: timeout) { loopBound.value.close(promise: nil) }
        case .end:
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }
}
