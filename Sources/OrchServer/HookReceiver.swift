import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OrchCore
import OrchRuntime
import OrchWire

/// The server end of `orch hook`: HTTP on TCP, bound only where the
/// instances reach it (see ``ChannelSettings``). `POST /hook/<Event>` with
/// `Authorization: Bearer <token>` and the hook's JSON as the body; the reply
/// body is what the hook prints. `GET /status` answers `orch status`, for an
/// instance's token or the operator's. `/git/repo.git/` serves each instance's
/// clone and takes its branch back (``GitHTTPBackend``); `/command/` runs the
/// manager's `orch merge` and `orch assign` (``ManagerCommands``).
///
/// A missing or unknown token gets 401 (tokens compared in constant time), a
/// body that is not a JSON object 400, a body over 1 MiB 413, the operator's
/// token on a hook 403; an event orch does not know is logged and answered
/// with an empty 200. Connections are capped, idle ones closed, and slow
/// requests dropped (``HTTPLimits``).
///
/// ```swift
/// let receiver = HookReceiver(address: .init(host: "127.0.0.1", port: 0), tokens: tokens, handler: router, logger: logger)
/// let app = receiver.application(onRunning: { port in … })
/// try await app.runService()
/// ```
public struct HookReceiver: Sendable {
    /// The largest body accepted.
    public static let maximumBody = HookWire.maximumBody

    /// Where it listens (port 0: any free one, told to `onRunning`).
    public let address: ChannelAddress
    let tokens: InstanceTokens
    let handler: any HookHandler
    let events: EventLog?
    let status: (@Sendable () async -> Data)?
    let git: GitHTTPBackend?
    let commands: ManagerCommands?
    let mirror: (@Sendable (InstanceName) async -> String?)?
    let limits: HTTPLimits
    let logger: Logger

    /// - Parameters:
    ///   - address: where to listen; an IP address of this machine.
    ///   - tokens: who may call.
    ///   - handler: what answers each event.
    ///   - events: where accepted events are recorded.
    ///   - status: answers `GET /status` with `orch status`'s JSON; nil leaves the path out.
    ///   - git: serves each instance's clone and takes its pushes; nil leaves `/git/` out.
    ///   - commands: the manager's merges and assignments over the channel; nil leaves `/command/` out.
    ///   - mirror: what the caller's clone mirrors, sent as `Orch-Mirror` with the replies after which the clone may
    ///     take the server's refs (``HookWire/mirrorHeader``); nil sends none (the forwarder then always asks git).
    ///   - limits: connections, timeouts and body size.
    ///   - logger: for rejected calls and unknown events.
    public init(address: ChannelAddress, tokens: InstanceTokens, handler: any HookHandler, events: EventLog? = nil,
                status: (@Sendable () async -> Data)? = nil, git: GitHTTPBackend? = nil,
                commands: ManagerCommands? = nil, mirror: (@Sendable (InstanceName) async -> String?)? = nil,
                limits: HTTPLimits = HTTPLimits(), logger: Logger) {
        self.address = address
        self.tokens = tokens
        self.handler = handler
        self.events = events
        self.status = status
        self.git = git
        self.commands = commands
        self.mirror = mirror
        self.limits = limits
        self.logger = logger
    }

    /// The HTTP application; run it (it is a `Service`) to serve.
    /// - Parameters:
    ///   - onRunning: told the bound port once it accepts connections.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.post("/hook/{event}") { request, context in
            try await self.respond(to: request, context: context)
        }
        // Read-only and free of secrets, but only for callers with a token: the endpoint may sit on a shared network.
        if let status {
            router.get("/status") { request, _ in
                guard self.caller(of: request) != nil else { return Self.plain(.unauthorized, "missing or unknown token\n") }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: await status())))
            }
        }
        if let git { addGitRoutes(to: router, backend: git) }
        if let commands { addCommandRoutes(to: router, commands: commands) }
        return Application(
            router: router,
            server: limits.server(),
            configuration: limits.configuration(address: .hostname(address.host, port: address.port), name: "orch", logger: logger),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    func caller(of request: Request) -> InstanceTokens.Caller? {
        let authorization = request.headers[.authorization] ?? ""
        guard authorization.hasPrefix("Bearer ") else { return nil }
        return tokens.caller(for: String(authorization.dropFirst("Bearer ".count)))
    }

    private func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        // The body is read (bounded) before any refusal: a reply sent over unread bytes ends in a reset that can
        // destroy the reply in the client's socket before it reads it.
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limits.maximumBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return Self.plain(.contentTooLarge, "body over \(limits.maximumBody) bytes\n")
        }
        guard let caller = caller(of: request) else {
            logger.warning("hook call with a missing or unknown token refused")
            return Self.plain(.unauthorized, "missing or unknown token\n")
        }
        guard case .instance(let instance) = caller else {
            return Self.plain(.forbidden, "the operator's token reads status; hook events come from instances\n")
        }
        let eventName = context.parameters.get("event") ?? ""
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
        var details = event.summary
        // Which way it came (informational: a container could send the header itself).
        if request.headers[Self.transportField] == ChannelSettings.HookTransport.http.rawValue { details["via"] = ChannelSettings.HookTransport.http.rawValue }
        // The status line comes after every message: its figures go to the status, not to the event log.
        if name.isHook { await events?.append(.hook(name), instance: instance, details, time: event.received) }
        let started = DispatchTime.now().uptimeNanoseconds
        let reply = await handler.handle(event)
        var headers: HTTPFields = [.contentType: "application/json"]
        // Claude Code's own HTTP hooks do not read it.
        if let mirror, request.headers[Self.transportField] == nil, name.mayHaveMovedBranch(replied: !reply.body.isEmpty),
           let tips = await mirror(instance) {
            headers[Self.mirrorField] = tips
        }
        OrchMetrics.recordHandling(event: name.rawValue, nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - started))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
    }

    static let mirrorField = HTTPField.Name(HookWire.mirrorHeader)!
    static let transportField = HTTPField.Name(HookWire.transportHeader)!

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
