import Foundation
import GitKit

/// Takes the remote target's new commits into orch's target, as `orch merge`
/// does for a worker branch: in memory, landing by compare-and-swap, nothing
/// but the task lists written on a conflict. Task lists edited on both sides
/// are merged line by line and every task keeps a unique id (see ``UpstreamTaskLists``).
struct UpstreamMerge {
    /// What taking in the remote's commits did.
    enum Outcome: Equatable {
        /// The target already holds them.
        case upToDate
        /// The target moved to the remote's tip (or to a commit on it that gives tasks ids).
        case fastForwarded(to: ObjectID)
        /// A merge commit joins both.
        case merged(commit: ObjectID)
        /// Both changed the same lines; the target is untouched but for the remote's task lines.
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
                let lists = try mergedLists(local: local, upstream: upstream, in: repository)
                switch try mergedTree(local: local, upstream: upstream, lists: lists, in: repository) {
                case .conflicted(let conflicts):
                    // The remote's task lines need no one: the manager then takes main's lists as they are.
                    let paths = conflicts.map(\.path).uniqued()
                    let localTree = try repository.treeID(ofCommit: local)
                    guard !lists.isEmpty else { return .conflicted(paths: paths) }
                    let tree = try repository.tree(localTree, applying: lists)
                    let commit = try repository.createCommit(tree: tree, parents: [local], message: "orch: take in the task lines of the remote's \(target) (its other changes conflict)")
                    newTip = try withIDs(on: commit, parents: nil, known: local, in: repository)
                    // Compared after ids and escapes: a round that would only redo them commits nothing.
                    guard try repository.treeID(ofCommit: newTip) != localTree else { return .conflicted(paths: paths) }
                    outcome = .conflicted(paths: paths)
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

    /// Every task list that differs between the two sides, merged line by line.
    private func mergedLists(local: ObjectID, upstream: ObjectID, in repository: Repository) throws -> [FileChange] {
        let base = try repository.mergeBase(local, upstream)
        let files = Set(try repository.rootFileNames(at: local)).union(try repository.rootFileNames(at: upstream))
        var lists: [FileChange] = []
        for file in files.sorted() where TaskBoard.worker(ofFileName: file) != nil {
            func text(_ commit: ObjectID?) throws -> String? {
                guard let commit, let data = try repository.readFile(file, at: commit) else { return nil }
                return String(decoding: data, as: UTF8.self)
            }
            let (ours, theirs) = (try text(local), try text(upstream))
            guard ours != theirs else { continue }
            let merged = UpstreamTaskLists.merge(base: try text(base), ours: ours ?? "", theirs: theirs ?? "")
            lists.append(.write(path: file, contents: Data(merged.utf8)))
        }
        return lists
    }

    /// The merge of both sides' trees, with both sides carrying the merged task
    /// lists, so that the three-way merge takes them as they are.
    private func mergedTree(local: ObjectID, upstream: ObjectID, lists: [FileChange], in repository: Repository) throws -> TreeMergeResult {
        guard !lists.isEmpty else { return try repository.mergeTrees(ours: local, theirs: upstream) }
        let ours = try repository.createCommit(tree: repository.tree(repository.treeID(ofCommit: local), applying: lists), parents: [local], message: "lists")
        let theirs = try repository.createCommit(tree: repository.tree(repository.treeID(ofCommit: upstream), applying: lists), parents: [upstream], message: "lists")
        return try repository.mergeTrees(ours: ours, theirs: theirs)
    }

    /// `commit`, or a commit on it that gives ids to tasks added upstream without
    /// one or with one another task holds or orch used. `parents` nil amends `commit` (same parents).
    private func withIDs(on commit: ObjectID, parents: [ObjectID]?, known local: ObjectID, in repository: Repository) throws -> ObjectID {
        func lists(at commit: ObjectID) throws -> [String: String] {
            var result: [String: String] = [:]
            for file in try repository.rootFileNames(at: commit) where TaskBoard.worker(ofFileName: file) != nil {
                result[file] = try repository.readFile(file, at: commit).map { String(decoding: $0, as: UTF8.self) }
            }
            return result
        }
        let known = try lists(at: local).mapValues { text in
            Dictionary(TaskList.splitLines(text).compactMap { line in UpstreamTaskLists.taskParts(line.0).flatMap { parts in parts.id.map { ($0, parts.text) } } }) { first, _ in first }
        }
        let used = try TaskLedger.Marks(repository: repository).used
        let changed = UpstreamTaskLists.renumber(try lists(at: commit), keeping: known, used: used)
        guard !changed.isEmpty else { return commit }
        let tree = try repository.tree(repository.treeID(ofCommit: commit), applying: changed.sorted { $0.key < $1.key }.map {
            .write(path: $0.key, contents: Data($0.value.utf8))
        })
        if let parents {
            return try repository.createCommit(tree: tree, parents: parents, message: "orch: give ids to tasks added upstream")
        }
        let original = try repository.commit(commit)
        return try repository.createCommit(tree: tree, parents: original.parents, message: original.message)
    }
}
