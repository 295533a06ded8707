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

/// The scripted conversation per API key: the step played is the one at the
/// index of the number of assistant turns already in the request, so the same
/// request always gets the same answer, whatever came before.
public struct ModelScript: Sendable {
    /// Steps for each API key (or OAuth token).
    public var steps: [String: [ModelStep]]
    /// The answer once a key's steps are used up.
    public var finally: ModelStep

    /// - Parameters:
    ///   - steps: steps per key.
    ///   - finally: what to answer after the last step.
    public init(_ steps: [String: [ModelStep]], finally: ModelStep = .text("Done.")) {
        self.steps = steps
        self.finally = finally
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
