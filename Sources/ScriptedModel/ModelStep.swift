import Foundation

/// One turn the scripted model plays.
public enum ModelStep: Sendable, Equatable {
    /// Answers with a `Bash` tool call, so the real client runs `command`.
    case bash(String)
    /// Answers with text and ends the turn.
    case text(String)
    /// Answers 429 with the unified rate-limit headers (reset at the Unix time given).
    case rateLimit(resetAt: Int)
    /// Never answers (until the client gives up or the server stops).
    case hang
    /// Starts the answer, then drops the connection.
    case dropConnection
}

/// The scripted conversation per API key, in one of two ways, both answering
/// the same request the same way whatever came before:
///
/// - **steps**: the step played is the one at the index of the number of
///   assistant turns already in the request;
/// - **rules**: the model reacts to the latest instruction (the last user
///   message holding text rather than tool results: a prompt, a typed line, a
///   Stop hook's reason). Every rule whose pattern matches it gives one `Bash`
///   call, played in order, one per turn; then the turn ends with `finally`.
public struct ModelScript: Sendable {
    /// Steps for each API key (or OAuth token).
    public var steps: [String: [ModelStep]]
    /// Rules for each API key (`*` for any key without its own); a key with rules ignores `steps`.
    public var rules: [String: [ModelRule]]
    /// The answer once a key's steps are used up (or no further rule applies).
    public var finally: ModelStep

    /// - Parameters:
    ///   - steps: steps per key.
    ///   - rules: rules per key.
    ///   - finally: what to answer after the last step.
    public init(_ steps: [String: [ModelStep]], rules: [String: [ModelRule]] = [:], finally: ModelStep = .text("Done.")) {
        self.steps = steps
        self.rules = rules
        self.finally = finally
    }

    /// The step for a request.
    /// - Parameters:
    ///   - key: the request's API key.
    ///   - messages: the request's `messages`.
    public func step(key: String, messages: [[String: Any]]) -> ModelStep {
        guard let rules = rules[key] ?? rules["*"] else {
            return step(key: key, assistantTurns: messages.filter { $0["role"] as? String == "assistant" }.count)
        }
        guard let index = messages.lastIndex(where: Self.isInstruction) else { return finally }
        let instruction = Self.text(of: messages[index])
        let turnsSince = messages[(index + 1)...].filter { $0["role"] as? String == "assistant" }.count
        let commands = rules.compactMap { $0.command(for: instruction) }
        return turnsSince < commands.count ? .bash(commands[turnsSince]) : finally
    }

    static func isInstruction(_ message: [String: Any]) -> Bool {
        guard message["role"] as? String == "user" else { return false }
        if message["content"] is String { return true }
        let blocks = message["content"] as? [[String: Any]] ?? []
        return !blocks.contains { $0["type"] as? String == "tool_result" } && blocks.contains { $0["type"] as? String == "text" }
    }

    static func text(of message: [String: Any]) -> String {
        if let text = message["content"] as? String { return text }
        let blocks = message["content"] as? [[String: Any]] ?? []
        return blocks.compactMap { $0["type"] as? String == "text" ? $0["text"] as? String : nil }.joined(separator: "\n")
    }

    /// The step for a request.
    /// - Parameters:
    ///   - key: the request's API key.
    ///   - assistantTurns: how many assistant messages the request holds.
    public func step(key: String, assistantTurns: Int) -> ModelStep {
        let list = steps[key] ?? []
        return assistantTurns < list.count ? list[assistantTurns] : finally
    }
}

/// A reaction of the scripted model: when the latest instruction matches
/// `match` (a regular expression), run `bash`, with `$0` … `$9` replaced by the
/// match and its groups.
///
/// ```swift
/// ModelRule(match: "Orch-Task: (T-[0-9]+)", bash: "echo done > $1.txt && git add -A && git commit -qm '$1' -m 'Orch-Task: $1'")
/// ```
public struct ModelRule: Sendable, Equatable, Codable {
    /// The pattern.
    public var match: String
    /// The command.
    public var bash: String

    /// - Parameters:
    ///   - match: a regular expression.
    ///   - bash: the command, with `$0` … `$9` for the match and its groups.
    public init(match: String, bash: String) {
        self.match = match
        self.bash = bash
    }

    /// The command for an instruction, or nil when the rule does not match it.
    /// - Parameters:
    ///   - instruction: the instruction's text.
    public func command(for instruction: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: match),
              let found = regex.firstMatch(in: instruction, range: NSRange(instruction.startIndex..., in: instruction)) else { return nil }
        var command = bash
        for group in stride(from: min(found.numberOfRanges - 1, 9), through: 0, by: -1) {
            let value = Range(found.range(at: group), in: instruction).map { String(instruction[$0]) } ?? ""
            command = command.replacingOccurrences(of: "$\(group)", with: value)
        }
        return command
    }
}
