import CLibGit2
import Foundation

/// A read-only view of a branch's files at the tip being built upon.
public struct TreeSnapshot {
    /// The commit the snapshot shows; nil for a branch not yet born.
    public let commit: ObjectID?
    let repository: Repository

    /// The contents of the file at `path`, or nil when there is none.
    /// - Parameters:
    ///   - path: the path from the root.
    /// - Throws: ``GitError`` when the tree cannot be read.
    public func file(_ path: String) throws -> Data? {
        guard let commit else { return nil }
        return try repository.readFile(path, at: commit)
    }

    /// The names of the files in the root folder.
    /// - Throws: ``GitError`` when the tree cannot be read.
    public func rootFileNames() throws -> [String] {
        guard let commit else { return [] }
        return try repository.rootFileNames(at: commit)
    }
}

/// What ``Repository/commitFiles(to:message:maxAttempts:_:)`` did.
public enum CommitFilesOutcome: Equatable, Sendable {
    /// The branch moved to this new commit.
    case committed(ObjectID)
    /// The edit changed nothing (or asked for nothing); the branch is where it was.
    case unchanged(ObjectID?)
}

extension Repository {
    /// Commits file changes to a branch without touching any working tree or index.
    ///
    /// `edit` sees the branch's files as they are at the tip it builds upon and
    /// returns the changes to make (or nil for none). The branch moves by
    /// compare-and-swap; if another writer moved it first, `edit` runs again on
    /// the new tip, so edits compose with concurrent writers instead of overwriting them.
    ///
    /// ```swift
    /// try repo.commitFiles(to: "main", message: "Add notes") { tip in
    ///     let old = try tip.file("NOTES.md") ?? Data()
    ///     return [.write(path: "NOTES.md", contents: old + Data("more\n".utf8))]
    /// }
    /// ```
    /// - Parameters:
    ///   - branch: the short branch name; created when it does not exist.
    ///   - message: the commit message.
    ///   - maxAttempts: how many lost races to retry before giving up.
    ///   - edit: returns the changes for a given tip; it may run several times.
    /// - Throws: ``GitError`` from libgit2, `.contended` after `maxAttempts` lost races,
    ///   or whatever `edit` throws.
    @discardableResult
    public func commitFiles(
        to branch: String,
        message: String,
        maxAttempts: Int = 200,
        _ edit: (TreeSnapshot) throws -> [FileChange]?
    ) throws -> CommitFilesOutcome {
        var attempt = 0
        while true {
            attempt += 1
            let tip = try branchTip(branch)
            guard let changes = try edit(TreeSnapshot(commit: tip, repository: self)), !changes.isEmpty else {
                return .unchanged(tip)
            }
            let baseTree = try tip.map { try treeID(ofCommit: $0) }
            let newTree = try tree(baseTree, applying: changes)
            if newTree == baseTree { return .unchanged(tip) }
            let commit = try createCommit(tree: newTree, parents: tip.map { [$0] } ?? [], message: message)
            do {
                try updateBranch(branch, to: commit, expecting: tip, message: "commit: \(message.firstLine)")
                return .committed(commit)
            } catch let error as GitError where error.isLostRace {
                guard attempt < maxAttempts else {
                    throw GitError(code: .contended, message: "branch \(branch) kept moving; gave up after \(attempt) attempts", operation: "commit to \(branch)")
                }
                backOff(attempt: attempt)
            }
        }
    }
}

extension GitError {
    /// Whether the error means another writer got to the ref first, so a retry may succeed.
    public var isLostRace: Bool {
        code == .modified || code == .locked || code == .exists
    }
}

/// Sleeps a little, more after each lost race, with jitter so racing processes spread out.
func backOff(attempt: Int) {
    let ceiling = min(50_000, 500 * (1 << min(attempt, 7)))
    usleep(UInt32.random(in: 200...UInt32(ceiling)))
}

extension String {
    var firstLine: String {
        split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? self
    }
}
