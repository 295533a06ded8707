import Foundation
import GitKit

/// `orch merge` through the gate, wherever it runs (the server for the manager and the operator, or a
/// person's `orch merge --config` while no server runs).
extension MergeGate {
    /// The most queue entries one request waits for (a worker count's worth and more).
    public static let maximumWait = 128

    /// Queues the request's branches (or takes the entries it waits for), then answers at once with
    /// `--enqueue`, else when every result is in or, with a deadline, with the rest `pending`.
    /// - Parameters:
    ///   - gating: gate the queue here when no one else holds the lock (false where a service does).
    /// - Throws: ``OrchError`` (usage) for a branch that does not exist or too many entries to wait for.
    public func answer(_ request: ChannelCommand.MergeRequest, until deadline: Date? = nil, gating: Bool) async throws -> ChannelCommand.MergeReply {
        let target = configuration.target
        let entries: [MergeQueue.Entry]
        if let waiting = request.waitFor {
            guard waiting.count <= Self.maximumWait else { throw OrchError.usage("waitFor: at most \(Self.maximumWait) entries, got \(waiting.count)") }
            entries = waiting
        } else {
            let names = try await git.run {
                try BranchMerge.branches(named: request.branches, all: request.all, in: ProjectRepository(path: configuration.repository))
            }
            entries = try await enqueue(names)
        }
        if request.enqueue == true {
            return ChannelCommand.MergeReply(target: target, results: entries.map { MergeReport(branch: $0.branch, kind: .queued) })
        }
        let reports = try await wait(for: entries, until: deadline, gating: gating)
        let pending = zip(entries, reports).filter { $0.1 == nil }.map(\.0)
        return ChannelCommand.MergeReply(target: target, results: reports.compactMap { $0 }, pending: pending.isEmpty ? nil : pending)
    }
}
