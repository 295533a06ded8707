import Foundation
import OrchCore

/// What the flow's decisions leave to be done outside its queue: git marks and
/// log entries written after the reply (in this order), lines typed into panes.
enum FlowEffect: Sendable {
    /// An entry of the event log.
    case record(EventKind, InstanceName?, [String: String], Date)
    /// A task was handed to its worker when the target was at that commit.
    case markDelivered(TaskID, at: CommitID)
    /// orch gave up on a task (its branch's tip), and why.
    case markFailed(TaskID, at: CommitID, worker: Int, reason: String)
    /// A worker had its turn on the merge check that failed on its branch at `failedAt` (its branch now at `fixedAt`).
    case markCheckFixed(branch: String, failedAt: String, fixedAt: String)
    /// A line for an instance's pane.
    case type(String, into: InstanceName)
}

/// One decision of the flow: the hook's reply, and the effects to carry out.
struct FlowStep: Sendable {
    var reply: HookReply = .none
    var effects: [FlowEffect] = []

    mutating func record(_ kind: EventKind, _ instance: InstanceName?, _ details: [String: String] = [:]) {
        effects.append(.record(kind, instance, details, Date()))
    }
}
