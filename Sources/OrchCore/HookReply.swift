import Foundation

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
