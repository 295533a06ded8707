import CLibGit2

extension Repository {
    /// The commits reachable from `tip` but not from `excluded`, newest first:
    /// what a branch holds that its target lacks.
    /// - Parameters:
    ///   - tip: the branch's tip.
    ///   - excluded: the target's tip; nil to walk the whole history.
    /// - Throws: ``GitError`` from libgit2.
    public func commits(from tip: ObjectID, excluding excluded: ObjectID?) throws -> [Commit] {
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, pointer), "walk \(tip)")
        defer { git_revwalk_free(walker) }
        git_revwalk_sorting(walker, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
        var start = tip.raw
        try check(git_revwalk_push(walker, &start), "walk \(tip)")
        if var hidden = excluded?.raw {
            try check(git_revwalk_hide(walker, &hidden), "walk \(tip) excluding \(excluded!)")
        }
        var result: [Commit] = []
        var oid = git_oid()
        while true {
            let status = git_revwalk_next(&oid, walker)
            if status == GIT_ITEROVER.rawValue { break }
            try check(status, "walk \(tip)")
            result.append(try commit(ObjectID(oid)))
        }
        return result
    }

    /// One commit with its message and trailers.
    /// - Parameters:
    ///   - id: the commit's id.
    /// - Throws: ``GitError`` `.notFound` when there is no such commit.
    public func commit(_ id: ObjectID) throws -> Commit {
        var raw = id.raw
        var object: OpaquePointer?
        try check(git_commit_lookup(&object, pointer, &raw), "look up commit \(id)")
        defer { git_commit_free(object) }
        let message = git_commit_message(object).map { String(cString: $0) } ?? ""
        let parents = (0..<git_commit_parentcount(object)).map { ObjectID(git_commit_parent_id(object, $0)) }
        return Commit(id: id, parents: parents, message: message, trailers: Self.trailers(of: message))
    }

    /// Parses the trailer block of a commit message as git does.
    /// - Parameters:
    ///   - message: the whole message.
    public static func trailers(of message: String) -> [Trailer] {
        _ = libgit2Ready
        var array = git_message_trailer_array()
        guard git_message_trailers(&array, message) == 0 else { return [] }
        defer { git_message_trailer_array_free(&array) }
        return (0..<array.count).map { index in
            let trailer = array.trailers[index]
            return Trailer(key: String(cString: trailer.key), value: String(cString: trailer.value))
        }
    }
}
