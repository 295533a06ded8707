import CLibGit2

extension Repository {
    /// How merging `incoming` into `target` would go.
    /// - Parameters:
    ///   - incoming: the tip of the branch to merge.
    ///   - target: the tip of the branch merged into.
    /// - Throws: ``GitError`` from libgit2.
    public func analyzeMerge(of incoming: ObjectID, into target: ObjectID) throws -> MergeAnalysis {
        if try isAncestor(incoming, of: target) { return .upToDate }
        if try isAncestor(target, of: incoming) { return .fastForward }
        return .normal(base: try mergeBase(target, incoming))
    }

    /// Merges two commits' trees in memory, finding renames; no working tree,
    /// index file or reference is touched.
    /// - Parameters:
    ///   - ours: the commit merged into (its side is "us").
    ///   - theirs: the commit merged in.
    /// - Throws: ``GitError`` from libgit2.
    public func mergeTrees(ours: ObjectID, theirs: ObjectID) throws -> TreeMergeResult {
        let operation = "merge \(theirs) into \(ours)"
        var ourID = ours.raw
        var theirID = theirs.raw
        var ourCommit: OpaquePointer?
        try check(git_commit_lookup(&ourCommit, pointer, &ourID), operation)
        defer { git_commit_free(ourCommit) }
        var theirCommit: OpaquePointer?
        try check(git_commit_lookup(&theirCommit, pointer, &theirID), operation)
        defer { git_commit_free(theirCommit) }

        var options = git_merge_options()
        try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)), operation)
        options.flags |= GIT_MERGE_FIND_RENAMES.rawValue
        var index: OpaquePointer?
        try check(git_merge_commits(&index, pointer, ourCommit, theirCommit, &options), operation)
        defer { git_index_free(index) }

        if git_index_has_conflicts(index) != 0 {
            return .conflicted(try conflicts(in: index!))
        }
        var tree = git_oid()
        try check(git_index_write_tree_to(&tree, index, pointer), operation)
        return .clean(tree: ObjectID(tree))
    }

    private func conflicts(in index: OpaquePointer) throws -> [MergeConflict] {
        var iterator: OpaquePointer?
        try check(git_index_conflict_iterator_new(&iterator, index), "list conflicts")
        defer { git_index_conflict_iterator_free(iterator) }
        var result: [MergeConflict] = []
        while true {
            var ancestor: UnsafePointer<git_index_entry>?
            var ours: UnsafePointer<git_index_entry>?
            var theirs: UnsafePointer<git_index_entry>?
            let status = git_index_conflict_next(&ancestor, &ours, &theirs, iterator)
            if status == GIT_ITEROVER.rawValue { break }
            try check(status, "list conflicts")
            guard let entry = ours ?? theirs ?? ancestor, let path = entry.pointee.path else { continue }
            // With rename detection, a rename conflict shows up as entries holding
            // only one of the three sides.
            let kind: MergeConflict.Kind = switch (ancestor != nil, ours != nil, theirs != nil) {
            case (false, true, true): .bothAdded
            case (true, false, true): .deletedByUs
            case (true, true, false): .deletedByThem
            case (true, true, true): .bothModified
            default: .renamed
            }
            result.append(MergeConflict(path: String(cString: path), kind: kind))
        }
        return result.sorted { $0.path < $1.path }
    }
}
