import Foundation
import OrchCore

/// One hook call from an instance: the event, who sent it (from its token,
/// never from the body) and the fields orch reads from Claude Code's JSON.
///
/// ```swift
/// let event = try HookEvent(name: .sessionStart, instance: .worker(1), body: data)
/// event.source   // "startup"
/// ```
public struct HookEvent: Sendable {
    /// The event.
    public let name: HookEventName
    /// The instance whose token came with the call.
    public let instance: InstanceName
    /// When the server received it.
    public let received: Date
    /// The hook's JSON object.
    public let fields: [String: JSONValue]

    /// Parses a hook's body.
    /// - Parameters:
    ///   - name: the event from the request path.
    ///   - instance: the instance the token belongs to.
    ///   - body: the JSON Claude Code gave the hook on stdin.
    ///   - received: when it arrived.
    /// - Throws: ``HookEventError`` when the body is not a JSON object.
    public init(name: HookEventName, instance: InstanceName, body: Data, received: Date = Date()) throws {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: body)
        } catch {
            throw HookEventError(message: "the body is not valid JSON")
        }
        guard case .object(let fields) = value else { throw HookEventError(message: "the body is \(value.typeName), not a JSON object") }
        self.name = name
        self.instance = instance
        self.fields = fields
        self.received = received
    }

    /// A string field, or nil when absent or of another type.
    /// - Parameters:
    ///   - key: the field's name.
    public func string(_ key: String) -> String? {
        if case .string(let value)? = fields[key] { return value }
        return nil
    }

    /// `session_id`.
    public var sessionID: String? { string("session_id") }
    /// `transcript_path`.
    public var transcriptPath: String? { string("transcript_path") }
    /// `source` of SessionStart: startup, resume, clear, compact or fork.
    public var source: String? { string("source") }
    /// `error` of StopFailure, e.g. `rate_limit`.
    public var error: String? { string("error") }
    /// `stop_hook_active` of Stop: this stop follows a blocked one.
    public var stopHookActive: Bool {
        if case .bool(let value)? = fields["stop_hook_active"] { return value }
        return false
    }

    /// The fields worth keeping in the event log: ids and kinds, never prompts or replies (they may quote secrets).
    public var summary: [String: String] {
        var kept: [String: String] = [:]
        for key in ["session_id", "source", "error", "notification_type", "reason"] {
            if let value = string(key) { kept[key] = String(value.prefix(200)) }
        }
        if name == .stop { kept["stop_hook_active"] = String(stopHookActive) }
        return kept
    }
}

/// A hook body orch cannot read.
public struct HookEventError: Error, CustomStringConvertible {
    /// What was wrong.
    public let message: String
    /// The message.
    public var description: String { message }
}
