import Dispatch
import Foundation
import Hummingbird
import Logging
import OrchCore

/// The server end of `orch hook`: HTTP on a unix socket (mode 0600) in the
/// state directory. `POST /hook/<Event>` with `Authorization: Bearer <token>`
/// and the hook's JSON as the body; the reply body is what the hook prints.
///
/// A missing or unknown token gets 401, a body that is not a JSON object 400,
/// a body over 1 MiB 413; an event orch does not know is logged and answered
/// with an empty 200.
///
/// ```swift
/// let receiver = HookReceiver(socketPath: layout.run + "/orch.sock", tokens: tokens, handler: coordinator, logger: logger)
/// let app = try receiver.application()
/// try await app.runService()
/// ```
public struct HookReceiver: Sendable {
    /// The largest body accepted.
    public static let maximumBody = 1 << 20
    /// The longest path a unix socket address can hold on Linux.
    public static let maximumSocketPath = 107

    /// Where the socket is created.
    public let socketPath: String
    let tokens: InstanceTokens
    let handler: any HookHandler
    let events: EventLog?
    let status: (@Sendable () async -> Data)?
    let logger: Logger

    /// - Parameters:
    ///   - socketPath: where to create the socket; its folder should be private to the user.
    ///   - tokens: who may call.
    ///   - handler: what answers each event.
    ///   - events: where accepted events are recorded.
    ///   - logger: for rejected calls and unknown events.
    ///   - status: answers `GET /status` with `orch status`'s JSON; nil leaves the path out.
    public init(socketPath: String, tokens: InstanceTokens, handler: any HookHandler, events: EventLog? = nil,
                status: (@Sendable () async -> Data)? = nil, logger: Logger) {
        self.status = status
        self.socketPath = socketPath
        self.tokens = tokens
        self.handler = handler
        self.events = events
        self.logger = logger
    }

    /// The HTTP application; run it (it is a `Service`) to serve.
    /// - Parameters:
    ///   - onRunning: called once the socket accepts connections.
    /// - Throws: ``OrchError`` when the socket path is too long or its folder cannot be made.
    public func application(onRunning: @escaping @Sendable () async -> Void = {}) throws -> some ApplicationProtocol {
        guard socketPath.utf8.count <= Self.maximumSocketPath else {
            throw OrchError.usage("socket path \(socketPath) is longer than \(Self.maximumSocketPath) bytes; use a shorter --state directory")
        }
        let directory = (socketPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // A socket file left by a server that died; the state lock says none runs now.
        try? FileManager.default.removeItem(atPath: socketPath)

        let router = Router()
        router.post("/hook/{event}") { request, context in
            try await self.respond(to: request, context: context)
        }
        // Read-only and free of secrets; the socket (0600) admits only its owner and the instances.
        if let status {
            router.get("/status") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: await status())))
            }
        }
        let socketPath = self.socketPath
        return Application(
            router: router,
            configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "orch"),
            onServerRunning: { _ in
                chmod(socketPath, 0o600)
                await onRunning()
            },
            logger: logger
        )
    }

    private func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let authorization = request.headers[.authorization] ?? ""
        guard authorization.hasPrefix("Bearer "), let instance = tokens.instance(for: String(authorization.dropFirst("Bearer ".count))) else {
            logger.warning("hook call with a missing or unknown token refused")
            return Self.plain(.unauthorized, "missing or unknown token\n")
        }
        let eventName = context.parameters.get("event") ?? ""
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return Self.plain(.contentTooLarge, "body over \(Self.maximumBody) bytes\n")
        }
        guard let name = HookEventName(rawValue: eventName) else {
            logger.notice("unknown hook event ignored", metadata: ["instance": "\(instance)", "event": "\(eventName.prefix(64))"])
            return Response(status: .ok)
        }
        let event: HookEvent
        do {
            event = try HookEvent(name: name, instance: instance, body: Data(buffer: body))
        } catch let error as HookEventError {
            return Self.plain(.badRequest, "\(error.message)\n")
        }
        await events?.append(.hook(name), instance: instance, event.summary, time: event.received)
        let started = DispatchTime.now().uptimeNanoseconds
        let reply = await handler.handle(event)
        OrchMetrics.recordHandling(event: name.rawValue, nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - started))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: reply.body)))
    }

    private static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
