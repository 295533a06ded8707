import Foundation
import Logging
import OrchCore

/// The server's end of the manager's `orch merge` and `orch assign`: run on
/// orch's clone, off the cooperative pool, for the manager's token only (see
/// ``ChannelCommand``). A worker's token gets 403: workers never change the target.
///
/// ```swift
/// let commands = ManagerCommands(layout: layout, target: "main", logger: logger)
/// let (status, body) = await commands.merge(ChannelCommand.MergeRequest(branches: ["worker-1"], all: false))
/// ```
public struct ManagerCommands: Sendable {
    let layout: StateLayout
    let target: String
    let logger: Logger
    /// The merge queue's gate when `mergeCheck` is set: merges go through it.
    let gate: MergeGate?
    private let queue = BlockingQueue(label: "orch.manager-commands")
    /// How long one answer waits for the gate before it says what is still pending.
    static let waitSeconds = 20.0

    public init(layout: StateLayout, target: String, logger: Logger, gate: MergeGate? = nil) {
        self.layout = layout
        self.target = target
        self.logger = logger
        self.gate = gate
    }

    /// Merges the named branches (or every worker's) into the target; with a gate, queues them and waits
    /// for their checks up to ``waitSeconds`` (the reply's `pending` says what is left to wait for).
    /// - Returns: the HTTP status and a JSON ``ChannelCommand/MergeReply`` or ``ChannelCommand/Failure``.
    public func merge(_ request: ChannelCommand.MergeRequest) async -> (status: Int, body: Data) {
        let (layout, target) = (layout, target)
        if let gate {
            return await answer { try await gate.answer(request, until: Date().addingTimeInterval(Self.waitSeconds), gating: false) }
        }
        return await answer {
            let repository = try ProjectRepository(path: layout.clone)
            let names = try BranchMerge.branches(named: request.branches, all: request.all, in: repository)
            return ChannelCommand.MergeReply(target: target, results: try BranchMerge(target: target).reports(merging: names, in: repository))
        }
    }

    /// Appends a task to a worker's list on the target.
    /// - Returns: the HTTP status and a JSON ``ChannelCommand/AssignReply`` or ``ChannelCommand/Failure``.
    public func assign(_ request: ChannelCommand.AssignRequest) async -> (status: Int, body: Data) {
        let (layout, target) = (layout, target)
        return await answer {
            guard request.worker >= 1 else { throw OrchError.usage("--worker must be 1 or more, got \(request.worker)") }
            let id = try TaskAssignment(worker: request.worker, text: request.text, branch: target).commit(to: ProjectRepository(path: layout.clone))
            return ChannelCommand.AssignReply(id: id.description)
        }
    }

    private func answer<Reply: Encodable & Sendable>(_ work: @escaping @Sendable () throws -> Reply) async -> (status: Int, body: Data) {
        await answer { try await queue.run(work) }
    }

    private func answer<Reply: Encodable & Sendable>(_ work: @escaping @Sendable () async throws -> Reply) async -> (status: Int, body: Data) {
        do {
            let reply = try await work()
            return (200, try JSONEncoder().encode(reply))
        } catch {
            let failure = OrchError(presenting: error) ?? .failure("\(error)")
            if failure.code != .usage { logger.error("a manager command failed: \(failure.message)") }
            let status = failure.code == .usage ? 400 : 500
            return (status, (try? JSONEncoder().encode(ChannelCommand.Failure(failure))) ?? Data())
        }
    }
}
