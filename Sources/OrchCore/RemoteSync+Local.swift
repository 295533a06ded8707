import Foundation
import GitKit

/// Pushing into a repository on this machine (`file://` or a path).
///
/// libgit2's local transport writes the remote's ref without comparing it to
/// what it saw when it connected, so a person's push in between would be lost,
/// and it refuses repositories with a working tree. orch copies the objects
/// itself and moves the ref by compare-and-swap, like `orch merge` does in a
/// person's repository: a clean checkout of the target there is brought along,
/// a dirty one is left alone and the push waits.
extension RemoteSync {
    /// The repository's path when the remote is on this machine, else nil.
    var localPath: String? {
        // URL handles file://localhost/… and %20; a path it cannot read is taken as written.
        if url.hasPrefix("file://") { return URL(string: url)?.path ?? String(url.dropFirst("file://".count)) }
        if url.contains("://") || RemoteSync.isSCPLike(url) { return nil }
        return url
    }

    static func isSCPLike(_ url: String) -> Bool {
        guard let colon = url.firstIndex(of: ":") else { return false }
        return !url[..<colon].contains("/")
    }

    /// Moves the local remote's target from `expected` to `tip` (which this clone holds).
    func pushLocally(_ tip: ObjectID, expecting expected: ObjectID?, path: String, in repository: Repository) throws -> PushOutcome {
        let remote = try Repository.open(at: path, searchingUpward: false)
        let current = try remote.branchTip(target)
        if current == tip { return .upToDate }
        if let current, current != expected, try !isKnownAncestor(current, of: tip, in: repository) {
            return .rejected("\(displayURL) has commits that \(target) lacks (not a fast-forward)")
        }
        try repository.copyObjects(reachableFrom: [tip], into: remote)
        let checkouts: CheckedOutTarget
        do {
            checkouts = try CheckedOutTarget(repository: remote, branch: target)
            try checkouts.check(movingTo: tip)
        } catch let error as OrchError {
            // A person's uncommitted work in a checkout of the target there: the push waits for them.
            return .rejected(error.message)
        }
        do {
            try remote.updateBranch(target, to: tip, expecting: current, message: "orch: push")
        } catch let error as GitError where error.isLostRace {
            return .rejected("\(target) in \(displayURL) moved while orch pushed")
        }
        try checkouts.sync(in: remote, from: current, to: tip)
        return .pushed(tip.hex)
    }

    /// Sets orch's branches in the local remote to `tips` (they are orch's own: no fast-forward check).
    /// - Returns: the ones set; a branch someone checked out there is theirs to move, and stays.
    func pushBranchesLocally(_ tips: [(ref: String, tip: ObjectID)], path: String, in repository: Repository) throws -> [(ref: String, tip: ObjectID)] {
        let remote = try Repository.open(at: path, searchingUpward: false)
        try repository.copyObjects(reachableFrom: tips.map(\.tip), into: remote)
        return try tips.filter { ref, tip in
            guard try remote.checkouts(of: String(ref.dropFirst("refs/heads/".count))).isEmpty else { return false }
            try remote.updateReference(ref, to: tip, expecting: try remote.referenceTarget(ref), message: "orch: push")
            return true
        }
    }

    private func isKnownAncestor(_ commit: ObjectID, of tip: ObjectID, in repository: Repository) throws -> Bool {
        (try? repository.isAncestor(commit, of: tip)) ?? false
    }
}
