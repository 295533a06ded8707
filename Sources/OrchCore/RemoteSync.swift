import Foundation
import GitKit

/// orch's target and the user's remote kept in step: fetch the remote's target,
/// take its new commits in (``UpstreamMerge``), push the target as a fast-forward
/// only, and push orch's own branches (those may force). Every call opens its
/// own handle and blocks on the network; callers run it off the cooperative pool
/// and one at a time per remote.
///
/// ```swift
/// let sync = try RemoteSync(config: config, configFile: file, layout: layout)
/// try sync.fetch()
/// if case .conflicted(let paths, _) = try sync.takeIn() { … tell the manager … }
/// _ = try sync.pushTarget()
/// ```
public struct RemoteSync: Sendable {
    /// What taking in the remote's commits did.
    public enum Integration: Equatable, Sendable {
        case upToDate
        case fastForwarded
        case merged
        /// The remote's commits (at `upstream`) conflict with the target in `paths`; nothing moved.
        case conflicted(paths: [String], upstream: String)
    }

    /// What a push of the target did.
    public enum PushOutcome: Equatable, Sendable {
        /// The remote already has the target's tip.
        case upToDate
        /// The remote's target moved to this commit.
        case pushed(String)
        /// The remote has commits the target lacks: fetch and take them in first.
        case behind
        /// The remote refused (it moved since the last fetch, or a hook said no).
        case rejected(String)
    }

    /// The remote as configured.
    public let url: String
    /// The target branch.
    public let target: String
    /// Whether orch's own branches are pushed too.
    public let pushesBranches: Bool
    let access: RemoteAccess
    let clone: String

    /// Where the remote's target is kept locally: `git merge origin/main` in a worktree reaches it.
    public var upstreamRef: String { Self.trackingRef(of: target) }

    /// Where orch's clone keeps what it last saw of the remote's `branch`.
    static func trackingRef(of branch: String) -> String { "refs/remotes/origin/\(branch)" }
    /// The remote's URL as messages show it.
    public var displayURL: String { Self.redacting(url) }

    /// - Parameters:
    ///   - config: the validated config.
    ///   - configFile: its path, for messages.
    ///   - layout: the state directory.
    ///   - environment: where a token variable is read.
    /// - Throws: ``OrchError`` (usage) naming the `remote.*` field whose key, token or file is missing.
    public init(config: OrchestratorConfig, configFile: String, layout: StateLayout,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        url = config.repositoryURL
        target = config.branch
        pushesBranches = config.pushWorkerBranches
        access = try config.remote.access(configFile: configFile, environment: environment)
        clone = layout.clone
    }

    /// Fetches the remote's target into ``upstreamRef``.
    /// - Throws: ``OrchError`` (failure) naming the remote and, for credentials, the method.
    public func fetch() throws {
        try failing {
            try Repository.open(at: clone).fetch(from: url, refspecs: ["+refs/heads/\(target):\(upstreamRef)"], access: access)
        }
    }

    /// Merges what the last fetch brought into the target (by compare-and-swap).
    /// - Throws: ``OrchError`` when git fails.
    public func takeIn() throws -> Integration {
        try failing {
            let repository = try Repository.open(at: clone)
            switch try UpstreamMerge(target: target, upstreamRef: upstreamRef).run(in: repository) {
            case .upToDate: return .upToDate
            case .fastForwarded: return .fastForwarded
            case .merged: return .merged
            case .conflicted(let paths):
                return .conflicted(paths: paths, upstream: try repository.referenceTarget(upstreamRef)?.hex ?? "")
            }
        }
    }

    /// Pushes the target when it is ahead of the remote's, never forcing.
    /// - Throws: ``OrchError`` (failure) when the remote cannot be reached or refuses the credentials.
    public func pushTarget() throws -> PushOutcome {
        try failing {
            let repository = try Repository.open(at: clone)
            guard let local = try repository.branchTip(target) else { return .upToDate }
            let upstream = try repository.referenceTarget(upstreamRef)
            if upstream == local { return .upToDate }
            if let upstream, try !repository.isAncestor(upstream, of: local) { return .behind }
            if let path = localPath {
                let outcome = try pushLocally(local, expecting: upstream, path: path, in: repository)
                if case .rejected = outcome { return outcome }
                if outcome == .upToDate {
                    try? repository.updateReference(upstreamRef, to: local, expecting: upstream, message: "orch: pushed")
                    return .upToDate
                }
            } else {
                // The tip is pinned: a target that moves during the push is the next push's.
                let pin = "refs/orch/push/\(target)"
                try repository.updateReference(pin, to: local, expecting: try repository.referenceTarget(pin), message: "orch: push")
                do {
                    try repository.push(to: url, refspecs: ["\(pin):refs/heads/\(target)"], access: access)
                } catch let error as GitError where error.code == .rejected {
                    return .rejected(error.message)
                }
            }
            try? repository.updateReference(upstreamRef, to: local, expecting: upstream, message: "orch: pushed")
            return .pushed(local.hex)
        }
    }

    /// Pushes `orch/manager` and `orch/worker-N` where they moved since their last push (forcing: they are orch's own).
    /// - Returns: the branches pushed.
    /// - Throws: ``OrchError`` (failure) when the remote cannot be reached or refuses.
    public func pushBranches() throws -> [String] {
        guard pushesBranches else { return [] }
        return try failing {
            let repository = try Repository.open(at: clone)
            let pushed = try repository.references(withPrefix: "refs/remotes/origin/orch/")
            let moved = try repository.references(withPrefix: "refs/heads/orch/")
                .filter { pushed["refs/remotes/origin/" + $0.key.dropFirst("refs/heads/".count)] != $0.value }
                .sorted { $0.key < $1.key }
            guard !moved.isEmpty else { return [] }
            var sent = moved.map { (ref: $0.key, tip: $0.value) }
            if let path = localPath {
                sent = try pushBranchesLocally(sent, path: path, in: repository)
            } else {
                try repository.push(to: url, refspecs: sent.map { "+\($0.ref):\($0.ref)" }, access: access)
            }
            for (ref, tip) in sent {
                let tracking = "refs/remotes/origin/" + ref.dropFirst("refs/heads/".count)
                try? repository.updateReference(tracking, to: tip, expecting: pushed[tracking], message: "orch: pushed")
            }
            return sent.map { String($0.ref.dropFirst("refs/heads/".count)) }
        }
    }

    /// Commits the target has that the remote's lacks, and the other way round, as of the last fetch or push.
    public func counts() throws -> (ahead: Int, behind: Int) {
        try failing {
            let repository = try Repository.open(at: clone)
            guard let local = try repository.branchTip(target) else { return (0, 0) }
            guard let upstream = try repository.referenceTarget(upstreamRef) else {
                return (try repository.commits(from: local, excluding: nil).count, 0)
            }
            return try repository.aheadBehind(local, upstream)
        }
    }

    /// The target's tip, to notice that it moved.
    public func targetTip() throws -> String? {
        try failing { try Repository.open(at: clone).branchTip(target)?.hex }
    }

    private func failing<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as GitError {
            throw OrchError.failure(error.description)
        }
    }

    /// A URL with user information (a token, a password) in it replaced by `***`.
    static func redacting(_ url: String) -> String { RemoteAccess.redacting(url) }
}
