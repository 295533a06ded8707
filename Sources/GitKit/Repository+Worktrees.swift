import CLibGit2
import Foundation

extension Repository {
    /// Adds a linked worktree.
    ///
    /// Either it is added whole or nothing is left behind: on failure the
    /// `.git/worktrees/<name>` entry, the directory and a branch created for it are removed.
    /// - Parameters:
    ///   - name: the worktree's name, unique in the repository.
    ///   - path: its working directory; must not exist, or be an empty directory.
    ///   - branch: the branch to check out there.
    /// - Throws: ``GitError``: `.pathExists` when `path` holds files, `.exists` when the
    ///   name or a new branch is taken, libgit2's error otherwise.
    @discardableResult
    public func addWorktree(named name: String, at path: String, branch: WorktreeBranch) throws -> Worktree {
        let operation = "add worktree \(name) at \(path)"
        let fileManager = FileManager.default
        let adminDirectory = (commonDirectory as NSString).appendingPathComponent("worktrees/\(name)")
        try clearPlace(forWorktree: name, at: path, adminDirectory: adminDirectory, operation: operation)

        let branchName: String
        var createdBranchAt: ObjectID?
        switch branch {
        case .new(let name, let commit):
            try createBranch(name, at: commit)
            branchName = name
            createdBranchAt = commit
        case .existing(let name):
            guard try branchTip(name) != nil else {
                throw GitError(code: .notFound, message: "no branch \(name)", operation: operation)
            }
            branchName = name
        }

        do {
            var reference: OpaquePointer?
            try check(git_reference_lookup(&reference, pointer, "refs/heads/\(branchName)"), operation)
            defer { git_reference_free(reference) }
            var options = git_worktree_add_options()
            try check(git_worktree_add_options_init(&options, UInt32(GIT_WORKTREE_ADD_OPTIONS_VERSION)), operation)
            options.ref = reference
            if let tip = try branchTip(branchName), try checkoutFiltersAreNoOps(for: tip) {
                options.checkout_options.disable_filters = 1
            }
            var worktree: OpaquePointer?
            try check(git_worktree_add(&worktree, pointer, name, path, &options), operation)
            git_worktree_free(worktree)
        } catch {
            // Remove only what this call made: another process racing for the same
            // name or path may own what is there now.
            let ownGitFile = "gitdir: \(adminDirectory)"
            let pathGitFile = (try? String(contentsOfFile: path + "/.git", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            let adminPointsHere = (try? String(contentsOfFile: adminDirectory + "/gitdir", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) == (path as NSString).appendingPathComponent(".git")
            if adminPointsHere { try? fileManager.removeItem(atPath: adminDirectory) }
            if pathGitFile == ownGitFile || (pathGitFile == nil && adminPointsHere) {
                try? fileManager.removeItem(atPath: path)
            }
            if let createdBranchAt {
                try? deleteBranch(branchName, expecting: createdBranchAt)
            }
            throw error
        }
        return Worktree(name: name, path: path, branch: branchName, isValid: true, isLocked: false)
    }

    /// Checks that neither the worktree's name nor its path is taken, and makes room at the path.
    private func clearPlace(forWorktree name: String, at path: String, adminDirectory: String, operation: String) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: adminDirectory) {
            throw GitError(code: .exists, message: "a worktree named \(name) exists", operation: operation)
        }
        if let contents = try? fileManager.contentsOfDirectory(atPath: path) {
            guard contents.isEmpty else {
                throw GitError(code: .pathExists, message: "\(path) exists and is not empty", operation: operation)
            }
            // libgit2 refuses an existing directory, even an empty one.
            try fileManager.removeItem(atPath: path)
        } else if fileManager.fileExists(atPath: path) {
            throw GitError(code: .pathExists, message: "\(path) exists and is not a directory", operation: operation)
        }
        try fileManager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }

    /// The linked worktrees of the repository.
    /// - Throws: ``GitError`` from libgit2.
    public func worktrees() throws -> [Worktree] {
        var names = git_strarray()
        try check(git_worktree_list(&names, pointer), "list worktrees")
        defer { git_strarray_dispose(&names) }
        var result: [Worktree] = []
        for index in 0..<names.count {
            let name = String(cString: names.strings[index]!)
            result.append(try worktree(named: name))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// One linked worktree by name.
    /// - Parameters:
    ///   - name: the worktree's name.
    /// - Throws: ``GitError`` with `.notFound` when there is none.
    public func worktree(named name: String) throws -> Worktree {
        try withWorktree(named: name) { handle in
            let path = String(cString: git_worktree_path(handle))
            let isValid = git_worktree_validate(handle) == 0
            let isLocked = git_worktree_is_locked(nil, handle) > 0
            // Read HEAD from the admin folder, so the branch is known even when the
            // working directory is out of sight (e.g. mounted elsewhere).
            let headFile = (commonDirectory as NSString).appendingPathComponent("worktrees/\(name)/HEAD")
            let head = (try? String(contentsOfFile: headFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            let branch = head.flatMap { $0.hasPrefix("ref: refs/heads/") ? String($0.dropFirst("ref: refs/heads/".count)) : nil }
            return Worktree(name: name, path: path, branch: branch, isValid: isValid, isLocked: isLocked)
        }
    }

    /// Removes a linked worktree: its working directory and its `.git/worktrees` entry.
    /// The branch stays.
    ///
    /// Unless `force` is set, it refuses a worktree with any change (tracked or
    /// untracked, not ignored), and one whose branch holds commits that `target` lacks.
    /// - Parameters:
    ///   - name: the worktree's name.
    ///   - target: the branch its work must be merged into before it may go; nil to skip that check.
    ///   - force: prune even so.
    /// - Throws: ``GitError`` `.dirtyWorktree` or `.unmergedCommits` when refused.
    public func pruneWorktree(named name: String, target: String?, force: Bool = false) throws {
        let operation = "prune worktree \(name)"
        try withWorktree(named: name) { handle in
            let isValid = git_worktree_validate(handle) == 0
            if isValid && !force {
                let repository = try Repository.open(worktree: handle)
                let changed = try repository.changedPaths(includeUntracked: true)
                if !changed.isEmpty {
                    throw GitError(code: .dirtyWorktree, message: "\(changed.count) changed path(s), e.g. \(changed[0])", operation: operation)
                }
                // HEAD, not the branch: a detached HEAD (mid-rebase, say) may hold
                // commits no branch has, and pruning drops that HEAD.
                if let target, let head = try repository.referenceTarget("HEAD") {
                    let targetTip = try branchTip(target)
                    if try targetTip.map({ try !isAncestor(head, of: $0) }) ?? true {
                        let what = try repository.currentBranch().map { "branch \($0)" } ?? "its detached HEAD"
                        throw GitError(code: .unmergedCommits, message: "\(what) has commits that \(target) lacks", operation: operation)
                    }
                }
            }
            var options = git_worktree_prune_options()
            try check(git_worktree_prune_options_init(&options, UInt32(GIT_WORKTREE_PRUNE_OPTIONS_VERSION)), operation)
            options.flags = GIT_WORKTREE_PRUNE_VALID.rawValue | GIT_WORKTREE_PRUNE_WORKING_TREE.rawValue
            if force { options.flags |= GIT_WORKTREE_PRUNE_LOCKED.rawValue }
            try check(git_worktree_prune(handle, &options), operation)
        }
    }

    private func withWorktree<T>(named name: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        var handle: OpaquePointer?
        try check(git_worktree_lookup(&handle, pointer, name), "look up worktree \(name)")
        defer { git_worktree_free(handle) }
        return try body(handle!)
    }

    static func open(worktree handle: OpaquePointer) throws -> Repository {
        var repo: OpaquePointer?
        try check(git_repository_open_from_worktree(&repo, handle), "open worktree \(String(cString: git_worktree_name(handle)))")
        return Repository(pointer: repo!)
    }
}
