import Foundation

/// What the server does with a hook event and what the hook prints back to Claude Code.
///
/// ```swift
/// struct AllowEverything: HookHandler {
///     func handle(_ event: HookEvent) async -> HookReply { .none }
/// }
/// ```
public protocol HookHandler: Sendable {
    /// Handles one event; must not throw (the hook fails open) and should return quickly.
    /// - Parameters:
    ///   - event: the event, its sender already authenticated.
    func handle(_ event: HookEvent) async -> HookReply
}

/// The text `orch hook` prints on stdout for Claude Code to read.
public struct HookReply: Sendable, Equatable {
    /// The raw body: empty, or a JSON object Claude Code understands.
    public let body: String

    /// Nothing printed: Claude goes on as if no hook ran.
    public static let none = HookReply(body: "")

    /// A Stop hook's `block`: Claude continues with `reason` as its next instruction.
    /// - Parameters:
    ///   - reason: the next instruction.
    public static func block(_ reason: String) -> HookReply {
        let data = try! JSONSerialization.data(withJSONObject: ["decision": "block", "reason": reason], options: [.sortedKeys, .withoutEscapingSlashes])
        return HookReply(body: String(decoding: data, as: UTF8.self))
    }
}
