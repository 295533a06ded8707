import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A stand-in for the Anthropic Messages API on loopback, playing a ``ModelScript``
/// to the real Claude Code client (`ANTHROPIC_BASE_URL=http://127.0.0.1:PORT`).
///
/// ```swift
/// let server = try await ScriptedModelServer.start(ModelScript(["sk-test": [.bash("git commit -qam x"), .text("Done.")]]))
/// defer { await server.stop() }
/// // run claude with ANTHROPIC_BASE_URL=server.baseURL, ANTHROPIC_API_KEY=sk-test
/// ```
public final class ScriptedModelServer: Sendable {
    /// The server's port on 127.0.0.1.
    public let port: Int
    private let task: Task<Void, any Error>
    private let log: RequestLog
    private let limits: KeyLimits

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, task: Task<Void, any Error>, log: RequestLog, limits: KeyLimits) {
        self.port = port
        self.task = task
        self.log = log
        self.limits = limits
    }

    /// From now on, answers every request with `key` with a 429 until `resetAt`, whatever the script says.
    /// - Parameters:
    ///   - key: the API key.
    ///   - resetAt: the Unix time the limit ends (also sent as the reset header).
    public func limit(key: String, until resetAt: Int) async {
        await limits.set(key, resetAt)
    }

    /// Starts a server on a free loopback port.
    /// Makes every later answer to `key` report this utilisation of its subscription windows, as Anthropic's API does
    /// (`anthropic-ratelimit-unified-5h-utilization`, `-7d-utilization` as fractions, their resets in Unix seconds).
    /// Claude Code keeps them only for a subscription login (docs/usage-signals.md).
    public func report(key: String, fiveHour: Double, sevenDay: Double, resetsAt: Int) async {
        await limits.setUsage(key, KeyLimits.Usage(fiveHour: fiveHour, sevenDay: sevenDay, resetsAt: resetsAt))
    }

    /// - Parameters:
    ///   - script: what to answer.
    ///   - port: the port, 0 for any free one.
    /// - Throws: when it cannot bind.
    public static func start(_ script: ModelScript, port: Int = 0) async throws -> ScriptedModelServer {
        let log = RequestLog()
        let limits = KeyLimits()
        let router = Router()
        router.post("/v1/messages/count_tokens") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"input_tokens": 12}"#)))
        }
        router.post("/v1/messages") { request, context in
            let body = try await request.body.collect(upTo: 64 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
            let key = request.headers[HTTPField.Name("x-api-key")!]
                ?? request.headers[.authorization].map { $0.replacingOccurrences(of: "Bearer ", with: "") } ?? ""
            let messages = json["messages"] as? [[String: Any]] ?? []
            let hasTools = !((json["tools"] as? [Any]) ?? []).isEmpty
            let stream = json["stream"] as? Bool ?? false
            // Side requests (titles, summaries) carry no tools: they get text, not a step.
            var step = hasTools ? script.step(key: key, messages: messages) : .text("Scripted.")
            if let reset = await limits.resetAt(key), reset > Int(Date().timeIntervalSince1970) { step = .rateLimit(resetAt: reset) }
            if hasTools, let dump = ProcessInfo.processInfo.environment["SCRIPTED_MODEL_DUMP"] {
                try? Data(buffer: body).write(to: URL(fileURLWithPath: "\(dump)/\(Date().timeIntervalSince1970)-\(key.suffix(6)).json"))
            }
            await log.record(key: key, step: step, streaming: stream)
            var response = try await respond(step, streaming: stream)
            if response.status == .ok, let usage = await limits.usage(key) { usage.add(to: &response.headers) }
            return response
        }
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "scripted-model"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }
        )
        let task = Task { try await app.run() }
        var bound = 0
        for await value in portStream { bound = value }
        guard bound > 0 else {
            task.cancel()
            throw CancellationError()
        }
        return ScriptedModelServer(port: bound, task: task, log: log, limits: limits)
    }

    /// Stops the server.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// The requests answered so far: key and step, in order.
    public func requests() async -> [(key: String, step: ModelStep, streaming: Bool)] {
        await log.entries
    }
}

actor KeyLimits {
    /// What a key's answers say of its windows.
    struct Usage {
        var fiveHour: Double
        var sevenDay: Double
        var resetsAt: Int

        func add(to headers: inout HTTPFields) {
            let fields = [("status", "allowed"), ("representative-claim", fiveHour >= sevenDay ? "five_hour" : "seven_day"),
                          ("5h-utilization", String(fiveHour)), ("5h-reset", String(resetsAt)), ("5h-status", "allowed"),
                          ("7d-utilization", String(sevenDay)), ("7d-reset", String(resetsAt)), ("7d-status", "allowed")]
            for (name, value) in fields { headers[HTTPField.Name("anthropic-ratelimit-unified-\(name)")!] = value }
        }
    }

    var resets: [String: Int] = [:]
    var usages: [String: Usage] = [:]
    func set(_ key: String, _ reset: Int) { resets[key] = reset }
    func resetAt(_ key: String) -> Int? { resets[key] }
    func setUsage(_ key: String, _ usage: Usage) { usages[key] = usage }
    func usage(_ key: String) -> Usage? { usages[key] }
}

actor RequestLog {
    var entries: [(key: String, step: ModelStep, streaming: Bool)] = []
    func record(key: String, step: ModelStep, streaming: Bool) { entries.append((key, step, streaming)) }
}

private func respond(_ step: ModelStep, streaming: Bool) async throws -> Response {
    switch step {
    case .rateLimit(let reset):
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("anthropic-ratelimit-unified-status")!] = "rejected"
        headers[HTTPField.Name("anthropic-ratelimit-unified-reset")!] = String(reset)
        headers[HTTPField.Name("anthropic-ratelimit-unified-representative-claim")!] = "five_hour"
        headers[HTTPField.Name("x-should-retry")!] = "false"
        let body = #"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account's rate limit."}}"#
        return Response(status: .tooManyRequests, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    case .hang:
        try await Task.sleep(for: .seconds(3600))
        throw CancellationError()
    case .dropConnection, .bash, .text:
        break
    }
    let id = "msg_\(UUID().uuidString.prefix(12))"
    guard streaming else {
        let text: String = if case .text(let text) = step { text } else { "Scripted." }
        let message: [String: Any] = [
            "id": id, "type": "message", "role": "assistant", "model": "claude-scripted",
            "content": [["type": "text", "text": text]], "stop_reason": "end_turn", "stop_sequence": NSNull(),
            "usage": ["input_tokens": 12, "output_tokens": 3],
        ]
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: try JSONSerialization.data(withJSONObject: message))))
    }
    let events = try streamEvents(for: step, id: id)
    let chunks = try events.map { name, payload in
        ByteBuffer(string: "event: \(name)\ndata: \(String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self))\n\n")
    }
    let drop = step == .dropConnection
    return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
        if drop {
            try await writer.write(chunks[0])
            throw CancellationError()
        }
        for chunk in chunks { try await writer.write(chunk) }
        try await writer.finish(nil)
    })
}

/// The server-sent events of a streamed answer: a tool call for a bash step, a text block for a text step.
private func streamEvents(for step: ModelStep, id: String) throws -> [(String, [String: Any])] {
    var events: [(String, [String: Any])] = [
        ("message_start", ["type": "message_start", "message": [
            "id": id, "type": "message", "role": "assistant", "model": "claude-scripted", "content": [Any](),
            "stop_reason": NSNull(), "stop_sequence": NSNull(), "usage": ["input_tokens": 12, "output_tokens": 1],
        ] as [String: Any]]),
    ]
    let stopReason: String
    switch step {
    case .bash(let command):
        let input = String(decoding: try JSONSerialization.data(withJSONObject: ["command": command, "description": "Scripted step"]), as: UTF8.self)
        events.append(("content_block_start", ["type": "content_block_start", "index": 0, "content_block": [
            "type": "tool_use", "id": "toolu_\(UUID().uuidString.prefix(12))", "name": "Bash", "input": [String: Any](),
        ] as [String: Any]]))
        events.append(("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": ["type": "input_json_delta", "partial_json": input]]))
        stopReason = "tool_use"
    case .text(let text):
        events.append(("content_block_start", ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]))
        events.append(("content_block_delta", ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": text]]))
        stopReason = "end_turn"
    default:
        stopReason = "end_turn"
    }
    events.append(("content_block_stop", ["type": "content_block_stop", "index": 0]))
    events.append(("message_delta", ["type": "message_delta", "delta": ["stop_reason": stopReason, "stop_sequence": NSNull()] as [String: Any], "usage": ["output_tokens": 5]]))
    events.append(("message_stop", ["type": "message_stop"]))
    return events
}
