import CLibGit2
import Foundation

/// A read-only view of the files of one commit or tree.
public struct TreeSnapshot {
    /// The commit the snapshot shows; nil for a bare tree or a branch not yet born.
    public let commit: ObjectID?
    /// The tree the snapshot shows; nil for a branch not yet born.
    public let tree: ObjectID?
    let repository: Repository

    init(commit: ObjectID?, repository: Repository) throws {
        self.commit = commit
        self.tree = try commit.map { try repository.treeID(ofCommit: $0) }
        self.repository = repository
    }

    /// A snapshot of a tree that no commit holds yet (e.g. a merge result).
    /// - Parameters:
    ///   - tree: the tree's id.
    ///   - repository: the repository holding it.
    public init(tree: ObjectID, in repository: Repository) {
        self.commit = nil
        self.tree = tree
        self.repository = repository
    }

    /// The contents of the file at `path`, or nil when there is none.
    /// - Parameters:
    ///   - path: the path from the root.
    /// - Throws: ``GitError`` when the tree cannot be read.
    public func file(_ path: String) throws -> Data? {
        guard let tree else { return nil }
        return try repository.withTree(tree) { try repository.readFile(path, inTree: $0) }
    }

    /// The names of the files in the root folder.
    /// - Throws: ``GitError`` when the tree cannot be read.
    public func rootFileNames() throws -> [String] {
        guard let tree else { return [] }
        return try repository.withTree(tree) { repository.rootFileNames(inTree: $0) }
    }
}

/// What ``Repository/commitFiles(to:message:maxAttempts:_:)`` did.
public enum CommitFilesOutcome: Equatable, Sendable {
    /// The branch moved to this new commit.
    case committed(ObjectID)
    /// The edit changed nothing (or asked for nothing); the branch is where it was.
    case unchanged(ObjectID?)
}

/// A commit to make: its message and its file changes.
public struct CommitPlan: Sendable {
    /// The commit message.
    public var message: String
    /// The files to write or remove.
    public var changes: [FileChange]

    /// - Parameters:
    ///   - message: the commit message.
    ///   - changes: the files to write or remove.
    public init(message: String, changes: [FileChange]) {
        self.message = message
        self.changes = changes
    }
}

extension Repository {
    /// Commits file changes to a branch without touching any working tree or index.
    ///
    /// `plan` sees the branch's files as they are at the tip it builds upon and
    /// returns the commit to make (or nil for none). The branch moves by
    /// compare-and-swap; if another writer moved it first, `plan` runs again on
    /// the new tip, so changes compose with concurrent writers instead of overwriting them.
    ///
    /// ```swift
    /// try repo.commitFiles(to: "main") { tip in
    ///     let old = try tip.file("NOTES.md") ?? Data()
    ///     return CommitPlan(message: "Add a note", changes: [.write(path: "NOTES.md", contents: old + Data("more\n".utf8))])
    /// }
    /// ```
    /// - Parameters:
    ///   - branch: the short branch name; created when it does not exist.
    ///   - maxAttempts: how many lost races to retry before giving up.
    ///   - beforeMoving: runs with the new commit right before the branch moves; throwing stops the move.
    ///   - plan: returns the commit for a given tip; it may run several times.
    /// - Throws: ``GitError`` from libgit2, `.contended` after `maxAttempts` lost races,
    ///   or whatever `plan` or `beforeMoving` throws.
    @discardableResult
    public func commitFiles(
        to branch: String,
        maxAttempts: Int = 200,
        beforeMoving: (ObjectID) throws -> Void = { _ in },
        _ plan: (TreeSnapshot) throws -> CommitPlan?
    ) throws -> CommitFilesOutcome {
        var attempt = 0
        while true {
            attempt += 1
            let tip = try branchTip(branch)
            guard let commitPlan = try plan(TreeSnapshot(commit: tip, repository: self)), !commitPlan.changes.isEmpty else {
                return .unchanged(tip)
            }
            let baseTree = try tip.map { try treeID(ofCommit: $0) }
            let newTree = try tree(baseTree, applying: commitPlan.changes)
            if newTree == baseTree { return .unchanged(tip) }
            let commit = try createCommit(tree: newTree, parents: tip.map { [$0] } ?? [], message: commitPlan.message)
            try beforeMoving(commit)
            do {
                try updateBranch(branch, to: commit, expecting: tip, message: "commit: \(commitPlan.message.firstLine)")
                return .committed(commit)
            } catch let error as GitError where error.isLostRace {
                guard attempt < maxAttempts else {
                    throw GitError(code: .contended, message: "branch \(branch) kept moving or stayed locked (refs/heads/\(branch).lock); gave up after \(attempt) attempts", operation: "commit to \(branch)")
                }
                backOff(attempt: attempt)
            }
        }
    }

    /// Commits file changes to a branch with a fixed message; see ``commitFiles(to:maxAttempts:_:)``.
    /// - Parameters:
    ///   - branch: the short branch name.
    ///   - message: the commit message.
    ///   - edit: returns the changes for a given tip; it may run several times.
    /// - Throws: as ``commitFiles(to:maxAttempts:_:)``.
    @discardableResult
    public func commitFiles(
        to branch: String,
        message: String,
        _ edit: (TreeSnapshot) throws -> [FileChange]?
    ) throws -> CommitFilesOutcome {
        try commitFiles(to: branch) { snapshot in
            try edit(snapshot).map { CommitPlan(message: message, changes: $0) }
        }
    }
}

extension GitError {
    /// Whether the error means another writer got to the ref first, so a retry may succeed.
    public var isLostRace: Bool {
        code == .modified || code == .locked || code == .exists
    }
}

/// Sleeps a little, more after each lost race, with jitter so racing processes
/// spread out; for every retry of a compare-and-swap ref update.
/// - Parameters:
///   - attempt: how many attempts have failed so far, from 1.
public func backOff(attempt: Int) {
    let ceiling = min(50_000, 500 * (1 << min(attempt, 7)))
    usleep(UInt32.random(in: 200...UInt32(ceiling)))
}

extension String {
    var firstLine: String {
        split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? self
    }
}
