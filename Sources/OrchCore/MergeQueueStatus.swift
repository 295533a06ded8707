import Foundation
import GitKit

/// The merge queue as `orch status` and the dashboard show it: what is being
/// checked and for how long, what waits, and each branch's last failure.
public struct MergeQueueStatus: Codable, Sendable, Equatable {
    public struct Checking: Codable, Sendable, Equatable {
        public var branches: [String]
        public var seconds: Double
    }

    public struct Waiting: Codable, Sendable, Equatable {
        public var branch: String
        public var seconds: Double
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var branch: String
        public var tip: String
        public var summary: String
        /// Whether its worker has had its turn on it (or a later merge passed).
        public var fixed: Bool
        /// ISO 8601.
        public var at: String
    }

    /// The command every merge must pass.
    public var command: String
    public var checking: Checking?
    public var queued: [Waiting]
    public var failures: [Failure]

    /// Reads it from the repository's references and the gate's `running.json`.
    /// - Throws: ``GitError`` when the references cannot be read.
    public static func read(repository path: String, target: String, command: String, now: Date = Date()) throws -> MergeQueueStatus {
        let repository = try Repository.open(at: path, searchingUpward: false)
        let place = GatePlace(gitDirectory: repository.commonDirectory, target: target)
        let checking = GateRunning.current(place).map { Checking(branches: $0.branches, seconds: max(0, now.timeIntervalSince1970 - $0.since)) }
        let queued = try MergeQueue(target: target).entries(in: repository)
            .map { Waiting(branch: $0.branch, seconds: max(0, now.timeIntervalSince1970 - $0.since)) }
        let failures = try CheckFailure.all(in: repository).map {
            Failure(branch: $0.branch, tip: String($0.tip.prefix(12)), summary: $0.summary, fixed: !$0.isOpen,
                    at: Date(timeIntervalSince1970: $0.at).formatted(.iso8601))
        }
        return MergeQueueStatus(command: command, checking: checking, queued: queued, failures: failures)
    }
}
