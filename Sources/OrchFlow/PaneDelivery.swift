import Foundation
import OrchCore

/// An instruction typed into an instance's pane, until the instance's
/// UserPromptSubmit hook shows that it arrived. Typing is not delivery: a
/// pane may be mid-redraw or its client busy, so an instruction not confirmed
/// within `confirmSeconds` is typed again, a bounded number of times, unless
/// the instance was heard from meanwhile (the text then reached a client that
/// is busy, and typing it again would queue a copy). Workers and the manager
/// get their instructions this one way.
struct PaneDelivery {
    /// An instruction typed into the pane.
    struct Typed: Equatable {
        /// The text that its UserPromptSubmit must contain.
        var marker: String
        /// The instruction.
        var text: String
        /// The task it delivers, if any.
        var task: TaskID?
        /// When it was last typed.
        var at: Date
        /// How often it was typed.
        var attempts: Int
    }

    /// What a look at an unconfirmed instruction decided.
    enum Retry: Equatable {
        /// Nothing yet: it is not due, or it was typed often enough.
        case wait
        /// Type it again.
        case typeAgain(Typed)
        /// The instance was heard from since: it is busy, the instruction is dropped.
        case heardFrom
    }

    /// How often one instruction is typed before orch stops trying (the next Stop or idle prompt brings it back).
    static let maximumAttempts = 5

    let confirmSeconds: Double
    private(set) var typed: Typed?

    init(confirmSeconds: Double) {
        self.confirmSeconds = confirmSeconds
    }

    /// Starts delivering `text`; returns what to type.
    mutating func start(_ text: String, marker: String, task: TaskID? = nil, now: Date) -> String {
        typed = Typed(marker: marker, text: text, task: task, at: now, attempts: 1)
        return text
    }

    /// The delivery a submitted prompt confirms (and ends), if it does.
    mutating func confirm(by prompt: String) -> Typed? {
        guard let typed, prompt.contains(typed.marker) else { return nil }
        self.typed = nil
        return typed
    }

    /// Ends the delivery without confirmation (a Stop hook answers the instance now).
    mutating func forget() { typed = nil }

    /// Looks at the delivery in progress, if any: type it again, drop it, or wait.
    mutating func retry(now: Date, heard: InstanceSighting.Heard?) -> Retry {
        guard let current = typed, now.timeIntervalSince(current.at) >= confirmSeconds else { return .wait }
        if let heard, heard.at > current.at, heard.event != .notification {
            typed = nil
            return .heardFrom
        }
        guard current.attempts < Self.maximumAttempts else { return .wait }
        typed!.at = now
        typed!.attempts += 1
        return .typeAgain(typed!)
    }
}
