import CLibGit2
import Foundation

extension Repository {
    /// The paths whose working-tree or index state differs from HEAD.
    /// - Parameters:
    ///   - includeUntracked: count files git does not track (ignored ones never count).
    /// - Throws: ``GitError`` `.bareRepository` for a bare repository, libgit2's error otherwise.
    public func changedPaths(includeUntracked: Bool) throws -> [String] {
        var options = git_status_options()
        try check(git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION)), "read status")
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = 0
        if includeUntracked {
            options.flags |= GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue
        }
        var list: OpaquePointer?
        try check(git_status_list_new(&list, pointer, &options), "read status of \(workingDirectory ?? gitDirectory)")
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index) else { continue }
            let delta = entry.pointee.index_to_workdir ?? entry.pointee.head_to_index
            if let delta, let path = delta.pointee.new_file.path ?? delta.pointee.old_file.path {
                paths.append(String(cString: path))
            }
        }
        return paths
    }

    /// The working trees (this repository's own and its linked worktrees') that
    /// have `branch` checked out, including worktrees whose directory is out of sight.
    /// - Parameters:
    ///   - branch: the short branch name.
    /// - Throws: ``GitError`` from libgit2.
    public func checkouts(of branch: String) throws -> [Worktree] {
        var result: [Worktree] = []
        let main = try Repository.open(at: commonDirectory)
        if !main.isBare, try main.currentBranch() == branch, let workdir = main.workingDirectory {
            result.append(Worktree(name: "", path: workdir, branch: branch, isValid: true, isLocked: false))
        }
        result += try worktrees().filter { $0.branch == branch }
        return result
    }

    /// Brings this working tree in line after its branch moved from `previous` to
    /// the current HEAD without it (e.g. a merge written by ref update), keeping local edits.
    ///
    /// Files the move changed are updated only where the working tree and the index
    /// still hold `previous`'s version; a local edit (staged or not) to such a file
    /// is a conflict, and then nothing is written.
    /// - Parameters:
    ///   - previous: the commit the working tree was at.
    /// - Throws: ``GitError`` `.conflict` naming the paths whose local edits collide.
    public func syncWorkingTree(from previous: ObjectID) throws {
        guard let head = try referenceTarget("HEAD") else {
            throw GitError(code: .unbornBranch, message: "HEAD points at no commit", operation: "sync working tree")
        }
        try refuseStagedCollisions(from: previous, to: head)
        try checkOut(head, baseline: previous, dryRun: false)
    }

    /// Whether a clean checkout could be moved to `commit` (the same test as
    /// ``syncCleanWorkingTree()`` makes, writing nothing).
    /// - Parameters:
    ///   - commit: the commit the checkout would move to.
    /// - Throws: ``GitError`` `.conflict` naming the paths in the way (local edits,
    ///   untracked files where the commit adds one).
    public func checkCleanCheckout(to commit: ObjectID) throws {
        try checkOut(commit, baseline: nil, dryRun: true)
    }

    /// Brings a clean working tree in line with HEAD after its branch moved, using
    /// the index as the record of what the files were; files that differ from the
    /// index are left alone, and a collision is a conflict with nothing written.
    /// - Throws: ``GitError`` `.conflict` naming the colliding paths.
    public func syncCleanWorkingTree() throws {
        guard let head = try referenceTarget("HEAD") else {
            throw GitError(code: .unbornBranch, message: "HEAD points at no commit", operation: "sync working tree")
        }
        try checkOut(head, baseline: nil, dryRun: false)
    }

    /// Moves the checked-out branch of this working tree from `expected` to `commit`
    /// and updates the files, keeping local edits; nothing changes on a conflict.
    /// - Parameters:
    ///   - commit: the new tip.
    ///   - expected: the tip the caller read; the branch must still be there.
    /// - Throws: ``GitError`` `.conflict` (paths named) or `.modified` when the branch moved.
    public func advanceCheckedOutBranch(to commit: ObjectID, expecting expected: ObjectID) throws {
        guard let branch = try currentBranch() else {
            throw GitError(code: .invalid, message: "HEAD is detached", operation: "advance working tree")
        }
        try refuseStagedCollisions(from: expected, to: commit)
        try checkOut(commit, baseline: expected, dryRun: true)
        try updateBranch(branch, to: commit, expecting: expected, message: "orch: advance \(branch)")
        do {
            try checkOut(commit, baseline: expected, dryRun: false)
        } catch {
            // Something changed the files since the dry run: put the branch back.
            try? updateBranch(branch, to: expected, expecting: commit, message: "orch: undo advance of \(branch)")
            throw error
        }
    }

    /// A checkout against a baseline tree would overwrite a change that is only
    /// staged (the file on disk still matches the baseline), so such paths are refused first.
    private func refuseStagedCollisions(from previous: ObjectID, to commit: ObjectID) throws {
        let moved = try changedPaths(from: previous, to: commit)
        guard !moved.isEmpty else { return }
        let staged = try stagedPaths(against: previous)
        let colliding = moved.intersection(staged)
        if !colliding.isEmpty {
            throw GitError(code: .conflict, message: "staged changes would be overwritten: \(colliding.sorted().joined(separator: ", "))",
                           operation: "update working tree \(workingDirectory ?? gitDirectory) to \(commit)")
        }
    }

    private func changedPaths(from old: ObjectID, to new: ObjectID) throws -> Set<String> {
        try withTree(ofCommit: old) { oldTree in
            try withTree(ofCommit: new) { newTree in
                var diff: OpaquePointer?
                try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, nil), "diff \(old) and \(new)")
                defer { git_diff_free(diff) }
                return deltaPaths(diff!)
            }
        }
    }

    private func stagedPaths(against commit: ObjectID) throws -> Set<String> {
        var index: OpaquePointer?
        try check(git_repository_index(&index, pointer), "read index")
        // A long-lived handle keeps the index it read first; git in the worktree may have written it since.
        try check(git_index_read(index, 0), "read index")
        defer { git_index_free(index) }
        return try withTree(ofCommit: commit) { tree in
            var diff: OpaquePointer?
            try check(git_diff_tree_to_index(&diff, pointer, tree, index, nil), "diff index against \(commit)")
            defer { git_diff_free(diff) }
            return deltaPaths(diff!)
        }
    }

    private func deltaPaths(_ diff: OpaquePointer) -> Set<String> {
        var paths: Set<String> = []
        for index in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, index) else { continue }
            if let path = delta.pointee.old_file.path { paths.insert(String(cString: path)) }
            if let path = delta.pointee.new_file.path { paths.insert(String(cString: path)) }
        }
        return paths
    }

    /// Checks out `commit`'s tree, treating `baseline` (or, when nil, the index) as
    /// what the working tree held.
    private func checkOut(_ commit: ObjectID, baseline: ObjectID?, dryRun: Bool) throws {
        let operation = "update working tree \(workingDirectory ?? gitDirectory) to \(commit)"
        var baselineTree: OpaquePointer?
        var baselineIndex: OpaquePointer?
        if let baseline {
            var baselineTreeID = try treeID(ofCommit: baseline).raw
            try check(git_tree_lookup(&baselineTree, pointer, &baselineTreeID), operation)
        } else {
            try check(git_repository_index(&baselineIndex, pointer), operation)
            try check(git_index_read(baselineIndex, 0), operation)
        }
        defer {
            git_tree_free(baselineTree)
            git_index_free(baselineIndex)
        }
        var targetTreeID = try treeID(ofCommit: commit).raw
        var targetTree: OpaquePointer?
        try check(git_tree_lookup(&targetTree, pointer, &targetTreeID), operation)
        defer { git_tree_free(targetTree) }

        final class Conflicts { var paths: [String] = [] }
        let conflicts = Conflicts()
        var options = git_checkout_options()
        try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), operation)
        options.checkout_strategy = GIT_CHECKOUT_SAFE.rawValue
        if dryRun { options.checkout_strategy |= GIT_CHECKOUT_DRY_RUN.rawValue }
        options.baseline = baselineTree
        options.baseline_index = baselineIndex
        options.notify_flags = GIT_CHECKOUT_NOTIFY_CONFLICT.rawValue
        options.notify_cb = { _, path, _, _, _, payload in
            if let path, let payload {
                Unmanaged<Conflicts>.fromOpaque(payload).takeUnretainedValue().paths.append(String(cString: path))
            }
            return 0
        }
        let result = withExtendedLifetime(conflicts) {
            options.notify_payload = Unmanaged.passUnretained(conflicts).toOpaque()
            return git_checkout_tree(pointer, targetTree, &options)
        }
        if result == GIT_ECONFLICT.rawValue || !conflicts.paths.isEmpty {
            throw GitError(code: .conflict, message: "local changes would be overwritten: \(conflicts.paths.sorted().joined(separator: ", "))", operation: operation)
        }
        try check(result, operation)
    }
}
