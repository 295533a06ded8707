import CLibGit2

extension Repository {
    /// Every reference whose full name starts with `prefix`, with the object it points at.
    /// - Parameters:
    ///   - prefix: e.g. `refs/orch/failed/`.
    /// - Throws: ``GitError`` from libgit2.
    public func references(withPrefix prefix: String) throws -> [String: ObjectID] {
        var iterator: OpaquePointer?
        try check(git_reference_iterator_glob_new(&iterator, pointer, prefix + "*"), "list references \(prefix)*")
        defer { git_reference_iterator_free(iterator) }
        var found: [String: ObjectID] = [:]
        while true {
            var ref: OpaquePointer?
            let result = git_reference_next(&ref, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "list references \(prefix)*")
            defer { git_reference_free(ref) }
            // Symbolic references are not orch's; only direct ones carry state.
            guard let target = git_reference_target(ref) else { continue }
            found[String(cString: git_reference_name(ref))] = ObjectID(target)
        }
        return found
    }

    /// Deletes a reference; a missing one is fine.
    /// - Parameters:
    ///   - name: the full reference name.
    /// - Throws: ``GitError`` from libgit2 for anything but a missing reference.
    public func deleteReference(_ name: String) throws {
        let result = git_reference_remove(pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return }
        try check(result, "delete \(name)")
    }
}
