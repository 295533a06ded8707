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

extension HookReply {
    /// A hook's output with a note of orch's own for Claude added: into a `block`'s reason,
    /// or as the whole output when there was none (a UserPromptSubmit's context). Any other output is left as it is.
    public static func noting(_ note: String, in body: String) -> String {
        if body.isEmpty { return note }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              object["decision"] as? String == "block", let reason = object["reason"] as? String else { return body }
        return HookReply.block(reason + "\n\n" + note).body
    }
}
