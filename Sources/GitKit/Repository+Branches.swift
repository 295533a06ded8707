import CLibGit2

extension Repository {
    /// The commit a local branch points at, or nil when the branch does not exist.
    /// - Parameters:
    ///   - branch: the short branch name, e.g. `main` or `orch/worker-1`.
    /// - Throws: ``GitError`` for anything but a missing branch (an invalid name, say).
    public func branchTip(_ branch: String) throws -> ObjectID? {
        try referenceTarget("refs/heads/\(branch)")
    }

    /// The commit a reference resolves to, or nil when it does not exist.
    /// - Parameters:
    ///   - name: a full reference name, e.g. `refs/heads/main`.
    /// - Throws: ``GitError`` for anything but a missing reference.
    public func referenceTarget(_ name: String) throws -> ObjectID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "resolve \(name)")
        return ObjectID(oid)
    }

    /// Creates a branch; fails when it exists.
    /// - Parameters:
    ///   - branch: the short name.
    ///   - commit: where it starts.
    /// - Throws: ``GitError`` with `.exists` when the branch is already there.
    public func createBranch(_ branch: String, at commit: ObjectID) throws {
        try updateBranch(branch, to: commit, expecting: nil, message: "branch: created by orch")
    }

    /// Moves a branch with compare-and-swap: only when it still points at `expected`.
    /// - Parameters:
    ///   - branch: the short name.
    ///   - commit: the new tip.
    ///   - expected: the tip the caller read, or nil to create the branch only if it is missing.
    ///   - message: the reflog message.
    /// - Throws: ``GitError`` with `.modified` when the branch moved meanwhile,
    ///   `.exists` when creating a branch that is there, `.locked` while another writer holds its lock.
    public func updateBranch(_ branch: String, to commit: ObjectID, expecting expected: ObjectID?, message: String) throws {
        try updateReference("refs/heads/\(branch)", to: commit, expecting: expected, message: message)
    }

    /// Moves any reference with compare-and-swap; see ``updateBranch(_:to:expecting:message:)``.
    /// - Parameters:
    ///   - name: the full reference name.
    ///   - commit: the new target.
    ///   - expected: the target the caller read, or nil to create it only if missing.
    ///   - message: the reflog message.
    /// - Throws: ``GitError`` with `.modified`, `.exists` or `.locked` on a lost race.
    public func updateReference(_ name: String, to commit: ObjectID, expecting expected: ObjectID?, message: String) throws {
        var new = commit.raw
        var ref: OpaquePointer?
        let result: Int32
        // An all-zero expected id means "must not exist", checked under the ref's
        // lock; git_reference_create(force: 0) checks before locking and can lose a race.
        var old = expected?.raw ?? git_oid()
        result = git_reference_create_matching(&ref, pointer, name, &new, 1, &old, message)
        if result == GIT_EMODIFIED.rawValue && expected == nil {
            throw GitError(code: .exists, message: "\(name) exists", operation: "create \(name)")
        }
        try check(result, "update \(name)")
        git_reference_free(ref)
    }

    /// Deletes a branch only when it still points at `expected`.
    /// - Parameters:
    ///   - branch: the short name.
    ///   - expected: the tip the caller read.
    /// - Throws: ``GitError`` with `.modified` when it moved, `.notFound` when it is gone.
    public func deleteBranch(_ branch: String, expecting expected: ObjectID) throws {
        var ref: OpaquePointer?
        try check(git_reference_lookup(&ref, pointer, "refs/heads/\(branch)"), "look up branch \(branch)")
        defer { git_reference_free(ref) }
        guard let target = git_reference_target(ref), ObjectID(target) == expected else {
            throw GitError(code: .modified, message: "branch \(branch) moved; not deleted", operation: "delete branch \(branch)")
        }
        try check(git_reference_delete(ref), "delete branch \(branch)")
    }

    /// The local branches whose names start with `prefix`, sorted.
    /// - Parameters:
    ///   - prefix: e.g. `orch/worker-`; empty for all.
    /// - Throws: ``GitError`` from libgit2.
    public func branches(withPrefix prefix: String = "") throws -> [String] {
        var iterator: OpaquePointer?
        try check(git_branch_iterator_new(&iterator, pointer, GIT_BRANCH_LOCAL), "list branches")
        defer { git_branch_iterator_free(iterator) }
        var names: [String] = []
        while true {
            var ref: OpaquePointer?
            var type = GIT_BRANCH_LOCAL
            let result = git_branch_next(&ref, &type, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "list branches")
            defer { git_reference_free(ref) }
            let name = String(cString: git_reference_shorthand(ref))
            if name.hasPrefix(prefix) { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    /// - Parameters:
    ///   - ancestor: the commit that may be contained.
    ///   - descendant: the commit that may contain it.
    /// - Throws: ``GitError`` from libgit2.
    public func isAncestor(_ ancestor: ObjectID, of descendant: ObjectID) throws -> Bool {
        if ancestor == descendant { return true }
        var a = ancestor.raw
        var d = descendant.raw
        let result = git_graph_descendant_of(pointer, &d, &a)
        try check(result, "compare \(ancestor) and \(descendant)")
        return result == 1
    }

    /// The best common ancestor of two commits, or nil when they share none.
    /// - Parameters:
    ///   - one: a commit.
    ///   - two: another commit.
    /// - Throws: ``GitError`` from libgit2.
    public func mergeBase(_ one: ObjectID, _ two: ObjectID) throws -> ObjectID? {
        var out = git_oid()
        var a = one.raw
        var b = two.raw
        let result = git_merge_base(&out, pointer, &a, &b)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "merge base of \(one) and \(two)")
        return ObjectID(out)
    }
}

extension Repository {
    /// How many commits `local` has that `upstream` lacks, and the other way round.
    /// - Parameters:
    ///   - local: e.g. a worker branch's tip.
    ///   - upstream: e.g. the target's tip.
    /// - Throws: ``GitError`` from libgit2.
    public func aheadBehind(_ local: ObjectID, _ upstream: ObjectID) throws -> (ahead: Int, behind: Int) {
        var ahead = 0
        var behind = 0
        var l = local.raw
        var u = upstream.raw
        try check(git_graph_ahead_behind(&ahead, &behind, pointer, &l, &u), "count commits between \(local) and \(upstream)")
        return (ahead, behind)
    }
}
