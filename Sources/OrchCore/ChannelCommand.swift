import Foundation

/// The manager's commands that change the target, as they travel over the
/// channel from its container (`POST /command/merge`, `/command/assign`,
/// the manager's token only): the container has no repository of the
/// server's to open, so the server runs them on its clone.
public enum ChannelCommand {
    /// The path of a command under the channel's base URL.
    public static func path(_ name: String) -> String { "/command/\(name)" }

    /// `orch merge`.
    public struct MergeRequest: Codable, Sendable, Equatable {
        public var branches: [String]
        public var all: Bool
        /// Queue the branches for the merge check and answer at once.
        public var enqueue: Bool?
        /// Instead of new branches: the queue entries an earlier answer left pending, to wait for.
        public var waitFor: [MergeQueue.Entry]?
        public init(branches: [String], all: Bool, enqueue: Bool = false, waitFor: [MergeQueue.Entry]? = nil) {
            self.branches = branches
            self.all = all
            self.enqueue = enqueue ? true : nil
            self.waitFor = waitFor
        }
    }

    /// What `orch merge` did, branch by branch.
    public struct MergeReply: Codable, Sendable, Equatable {
        public var target: String
        public var results: [MergeReport]
        /// Entries still in the merge queue when the answer went out: ask again with `waitFor`.
        public var pending: [MergeQueue.Entry]?
        public init(target: String, results: [MergeReport], pending: [MergeQueue.Entry]? = nil) {
            self.target = target
            self.results = results
            self.pending = pending
        }
    }

    /// `orch assign`.
    public struct AssignRequest: Codable, Sendable, Equatable {
        public var worker: Int
        public var text: String
        public init(worker: Int, text: String) {
            self.worker = worker
            self.text = text
        }
    }

    /// The new task's id.
    public struct AssignReply: Codable, Sendable, Equatable {
        public var id: String
        public init(id: String) { self.id = id }
    }

    /// A refused or failed command: the message and the exit code the command line ends with.
    public struct Failure: Codable, Sendable, Equatable {
        public var error: String
        public var exitCode: Int32
        public init(_ error: OrchError) {
            self.error = error.message
            exitCode = error.code.exitCode
        }
    }
}

/// One branch's merge as `orch merge` prints it, wherever it ran.
public struct MergeReport: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case upToDate, fastForwarded, merged, conflicted
        /// The merge failed the merge check (`mergeCheck`); the target is unchanged.
        case checkFailed
        /// Waiting in the merge queue (`orch merge --enqueue`, or the answer ran out of time).
        case queued
        /// The merge was refused (a task list changed, no such branch): `message` says why.
        case refused
    }

    public var branch: String
    public var kind: Kind
    /// The target's new tip (fast-forwarded, merged).
    public var commit: String?
    /// The tasks ticked.
    public var ticked: [String]
    /// The conflicted paths.
    public var paths: [String]
    /// Why it failed the check or was refused, in one line.
    public var message: String?
    /// The end of the check's output (scrubbed).
    public var log: String?

    public init(branch: String, kind: Kind, message: String? = nil, log: String? = nil) {
        self.branch = branch
        self.kind = kind
        ticked = []
        paths = []
        self.message = message
        self.log = log
    }

    public init(branch: String, outcome: BranchMerge.Outcome) {
        self.branch = branch
        ticked = []
        paths = []
        switch outcome {
        case .upToDate:
            kind = .upToDate
        case .fastForwarded(let tip, let ticked):
            kind = .fastForwarded
            commit = tip.hex
            self.ticked = ticked.map(\.description)
        case .merged(let tip, let ticked):
            kind = .merged
            commit = tip.hex
            self.ticked = ticked.map(\.description)
        case .conflicted(let conflicts):
            kind = .conflicted
            paths = conflicts.map(\.path)
        }
    }

    /// The line printed on standard output (a conflict's paths follow, one a line).
    public func line(target: String) -> String {
        let done = ticked.isEmpty ? "" : " (done: \(ticked.joined(separator: ", ")))"
        switch kind {
        case .upToDate: return "\(branch): already merged into \(target)"
        case .fastForwarded: return "\(branch): fast-forwarded \(target) to \((commit ?? "").prefix(12))\(done)"
        case .merged: return "\(branch): merged into \(target) as \((commit ?? "").prefix(12))\(done)"
        case .conflicted: return paths.joined(separator: "\n")
        case .checkFailed:
            let fix = InstanceName(branch: branch).flatMap { $0.workerNumber == nil ? nil : "; orch hands the output to \($0) to fix" } ?? ""
            return "\(branch): not merged, the merge check failed: \(message ?? "")\(fix)"
        case .queued: return "\(branch): queued for the merge check"
        case .refused: return "\(branch): not merged: \(message ?? "")"
        }
    }
}
