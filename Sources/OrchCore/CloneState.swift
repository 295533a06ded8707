import GitKit

/// What orch's clone says with no server running: the task ledger, each
/// instance's branch against the target, and the remote's target as of the
/// last fetch or push (`orch status`, and the part of the live status git holds).
public struct CloneState: Sendable {
    /// Commits on one side and not the other.
    public struct Divergence: Sendable, Equatable {
        /// Commits the first side has that the second lacks.
        public let ahead: Int
        /// The other way round.
        public let behind: Int
    }

    /// The tasks and their states.
    public let ledger: TaskLedger
    /// Each instance's branch against the target (absent when the branch is).
    public let branches: [InstanceName: Divergence]
    /// The remote's URL as orch's clone records it.
    public let remoteURL: String?
    /// The target against the remote's, when orch has seen the remote's.
    public let remote: Divergence?

    /// Reads it from the state directory's clone.
    /// - Throws: ``OrchError`` when the target or a task list is unreadable; ``GitError`` when git fails.
    public static func read(layout: StateLayout, target: String, instances: [InstanceName]) throws -> CloneState {
        let repository = try Repository.open(at: layout.clone)
        let ledger = try TaskLedger(repository: repository, target: target)
        var branches: [InstanceName: Divergence] = [:]
        for instance in instances {
            if let tip = try repository.branchTip(instance.branch) {
                let counts = try repository.aheadBehind(tip, ledger.targetTip)
                branches[instance] = Divergence(ahead: counts.ahead, behind: counts.behind)
            }
        }
        var remote: Divergence?
        if let upstream = try repository.referenceTarget(RemoteSync.trackingRef(of: target)) {
            let counts = try repository.aheadBehind(ledger.targetTip, upstream)
            remote = Divergence(ahead: counts.ahead, behind: counts.behind)
        }
        return CloneState(ledger: ledger, branches: branches, remoteURL: try repository.remoteURL("origin"), remote: remote)
    }
}
