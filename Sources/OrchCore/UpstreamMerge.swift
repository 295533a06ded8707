import Foundation
import GitKit

/// Takes the remote target's new commits into orch's target, as `orch merge`
/// does for a worker branch: in memory, landing by compare-and-swap, nothing
/// written on a conflict. Task lists edited on both sides are merged line by
/// line and every task keeps a unique id (see ``UpstreamTaskLists``).
struct UpstreamMerge {
    /// What taking in the remote's commits did.
    enum Outcome: Equatable {
        /// The target already holds them.
        case upToDate
        /// The target moved to the remote's tip (or to a commit on it that gives tasks ids).
        case fastForwarded(to: ObjectID)
        /// A merge commit joins both.
        case merged(commit: ObjectID)
        /// Both changed the same lines; the target is untouched.
        case conflicted(paths: [String])
    }

    let target: String
    let upstreamRef: String

    /// Merges `upstreamRef` into the target.
    func run(in repository: Repository) throws -> Outcome {
        for attempt in 1...100 {
            guard let local = try repository.branchTip(target), let upstream = try repository.referenceTarget(upstreamRef) else {
                return .upToDate
            }
            if try repository.isAncestor(upstream, of: local) { return .upToDate }
            let outcome: Outcome
            let newTip: ObjectID
            if try repository.isAncestor(local, of: upstream) {
                newTip = try withIDs(on: upstream, parents: [upstream], known: local, in: repository)
                outcome = .fastForwarded(to: newTip)
            } else {
                switch try mergedTree(local: local, upstream: upstream, in: repository) {
                case .conflicted(let conflicts):
                    return .conflicted(paths: conflicts.map(\.path).uniqued())
                case .clean(let tree):
                    let commit = try repository.createCommit(tree: tree, parents: [local, upstream], message: "Merge upstream \(target) into \(target)")
                    newTip = try withIDs(on: commit, parents: nil, known: local, in: repository)
                    outcome = .merged(commit: newTip)
                }
            }
            do {
                try repository.updateBranch(target, to: newTip, expecting: local, message: "orch: take in upstream \(target)")
                return outcome
            } catch let error as GitError where error.isLostRace && attempt < 100 {
                backOff(attempt: attempt)
            }
        }
        throw GitError(code: .contended, message: "\(target) kept moving while upstream changes were merged", operation: "merge upstream \(target)")
    }

    /// The merge of both sides' trees, task lists merged line by line first so
    /// that edits of one list on both sides never conflict.
    private func mergedTree(local: ObjectID, upstream: ObjectID, in repository: Repository) throws -> TreeMergeResult {
        let base = try repository.mergeBase(local, upstream)
        var files = Set(try repository.rootFileNames(at: local)).union(try repository.rootFileNames(at: upstream))
        files = files.filter { TaskBoard.worker(ofFileName: $0) != nil }
        var lists: [FileChange] = []
        for file in files.sorted() {
            func text(_ commit: ObjectID?) throws -> String? {
                guard let commit, let data = try repository.readFile(file, at: commit) else { return nil }
                return String(decoding: data, as: UTF8.self)
            }
            let (ours, theirs) = (try text(local), try text(upstream))
            guard ours != theirs else { continue }
            let merged = UpstreamTaskLists.merge(base: try text(base), ours: ours ?? "", theirs: theirs ?? "")
            lists.append(.write(path: file, contents: Data(merged.utf8)))
        }
        guard !lists.isEmpty else { return try repository.mergeTrees(ours: local, theirs: upstream) }
        // Both sides carry the same lists, so the three-way merge takes them as they are.
        let ours = try repository.createCommit(tree: repository.tree(repository.treeID(ofCommit: local), applying: lists), parents: [local], message: "lists")
        let theirs = try repository.createCommit(tree: repository.tree(repository.treeID(ofCommit: upstream), applying: lists), parents: [upstream], message: "lists")
        return try repository.mergeTrees(ours: ours, theirs: theirs)
    }

    /// `commit`, or a commit on it that gives ids to tasks added upstream without
    /// one or with one another task holds. `parents` nil amends `commit` (same parents).
    private func withIDs(on commit: ObjectID, parents: [ObjectID]?, known local: ObjectID, in repository: Repository) throws -> ObjectID {
        func lists(at commit: ObjectID) throws -> [String: String] {
            var result: [String: String] = [:]
            for file in try repository.rootFileNames(at: commit) where TaskBoard.worker(ofFileName: file) != nil {
                result[file] = try repository.readFile(file, at: commit).map { String(decoding: $0, as: UTF8.self) }
            }
            return result
        }
        let known = try lists(at: local).mapValues { Set(TaskList.splitLines($0).compactMap { UpstreamTaskLists.taskID(in: $0.0) }) }
        let changed = UpstreamTaskLists.renumber(try lists(at: commit), keeping: known)
        guard !changed.isEmpty else { return commit }
        let tree = try repository.tree(repository.treeID(ofCommit: commit), applying: changed.sorted { $0.key < $1.key }.map {
            .write(path: $0.key, contents: Data($0.value.utf8))
        })
        let original = try repository.commit(commit)
        if let parents {
            return try repository.createCommit(tree: tree, parents: parents, message: "orch: give ids to tasks added upstream")
        }
        return try repository.createCommit(tree: tree, parents: original.parents, message: original.message)
    }
}
