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
    /// The most queue entries one request waits for (a worker count's worth and more).
    static let maximumWait = 128
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
            return await answer { try await Self.gated(request, gate: gate, layout: layout) }
        }
        return await answer {
            let repository = try ProjectRepository(path: layout.clone)
            let names = request.all ? try BranchMerge.workerBranches(in: repository) : request.branches.map(BranchMerge.branchName(for:))
            let merge = BranchMerge(target: target)
            let results = try names.map { MergeReport(branch: $0, outcome: try merge.merge($0, in: repository)) }
            return ChannelCommand.MergeReply(target: target, results: results)
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

    private static func gated(_ request: ChannelCommand.MergeRequest, gate: MergeGate, layout: StateLayout) async throws -> ChannelCommand.MergeReply {
        let target = gate.configuration.target
        let entries: [MergeQueue.Entry]
        if let waiting = request.waitFor {
            guard waiting.count <= maximumWait else { throw OrchError.usage("waitFor: at most \(maximumWait) entries, got \(waiting.count)") }
            entries = waiting
        } else {
            let names = try await BlockingQueue(label: "orch.merge-names").run {
                request.all ? try BranchMerge.workerBranches(in: ProjectRepository(path: layout.clone)) : request.branches.map(BranchMerge.branchName(for:))
            }
            entries = try await gate.enqueue(names)
        }
        if request.enqueue == true {
            return ChannelCommand.MergeReply(target: target, results: entries.map { MergeReport(branch: $0.branch, kind: .queued) })
        }
        let reports = try await gate.wait(for: entries, until: Date().addingTimeInterval(waitSeconds), gating: false)
        let pending = zip(entries, reports).filter { $0.1 == nil }.map(\.0)
        return ChannelCommand.MergeReply(target: target, results: reports.compactMap { $0 }, pending: pending.isEmpty ? nil : pending)
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
