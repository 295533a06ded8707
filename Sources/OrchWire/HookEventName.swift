/// The Claude Code hook events orch wires into every instance.
///
/// ```swift
/// HookEventName(rawValue: "Stop") == .stop
/// ```
public enum HookEventName: String, CaseIterable, Sendable, Codable {
    /// A session began: `source` is startup, resume, clear, compact or fork.
    case sessionStart = "SessionStart"
    /// A prompt was submitted (confirms a prompt typed into the pane).
    case userPromptSubmit = "UserPromptSubmit"
    /// A turn ended; the reply may block it with the next instruction.
    case stop = "Stop"
    /// A turn ended on an API error (a rate limit, say); fires instead of Stop.
    case stopFailure = "StopFailure"
    /// The client wants attention (idle prompt, permission prompt …).
    case notification = "Notification"
    /// The session ended.
    case sessionEnd = "SessionEnd"
    /// Not a hook: the status-line command's input (the session's tokens and cost, and for a subscription
    /// login its windows' utilisation), which orch's status line forwards like an event.
    case statusLine = "StatusLine"

    /// Whether Claude Code runs it as a hook (the status line is a setting of its own).
    public var isHook: Bool { self != .statusLine }

    /// Whether the instance is busy with a turn after this event.
    public var startsWork: Bool { self == .sessionStart || self == .userPromptSubmit }

    /// Whether the instance is waiting at its prompt after this event.
    public var endsWork: Bool { self == .stop || self == .stopFailure || self == .sessionEnd }
}

extension HookEventName {
    /// Whether the server may have moved the instance's branch (merged the target in) by the time it
    /// answers this event, so the clone takes it: before a blocked Stop goes on, and before a prompt
    /// (typed by orch into an idle pane) or a new session starts.
    public func mayHaveMovedBranch(replied: Bool) -> Bool {
        switch self {
        case .stop: replied
        case .userPromptSubmit, .sessionStart: true
        default: false
        }
    }
}
