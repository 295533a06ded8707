import CLibGit2
import Foundation

extension Repository {
    /// Makes `directory` hold `tree`'s files, with an index of its own at
    /// `indexFile` recording what was written last time: only files that
    /// changed since (in the tree, or on disk by their size and time) are
    /// written, so a build in the directory stays incremental. Files the tree
    /// does not track (build products) are left; tracked files changed on disk
    /// are put back. The repository's own index and references are not touched.
    ///
    /// The directory may have been written by code orch does not trust, and
    /// libgit2 writes through a symbolic link it finds on a file's way: every
    /// link where the tree or the last checkout has a file or a folder (not
    /// a link) is removed first, so no write leaves the directory.
    /// - Throws: ``GitError`` from libgit2.
    /// With `removingUntracked`, files the tree does not track (ignored ones too) are removed as well.
    public func checkOutTree(_ tree: ObjectID, into directory: String, indexFile: String, removingUntracked: Bool = false) throws {
        let operation = "check out \(tree) into \(directory)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var handle: OpaquePointer?
        try check(git_repository_open_bare(&handle, gitDirectory), operation)
        defer { git_repository_free(handle) }
        try check(git_repository_set_workdir(handle, directory, 0), operation)
        var index: OpaquePointer?
        try check(git_index_open(&index, indexFile), operation)
        defer { git_index_free(index) }
        try check(git_repository_set_index(handle, index), operation)

        var raw = tree.raw
        var treeObject: OpaquePointer?
        try check(git_object_lookup(&treeObject, handle, &raw, GIT_OBJECT_TREE), operation)
        defer { git_object_free(treeObject) }
        var paths = try entries(ofTree: treeObject!, operation: operation)
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position) else { continue }
            let path = String(cString: entry.pointee.path)
            if paths[path] == nil { paths[path] = entry.pointee.mode }
        }
        try removeLinks(in: directory, whereTreeHas: paths)
        var options = git_checkout_options()
        try check(git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)), operation)
        options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue
        if removingUntracked { options.checkout_strategy |= GIT_CHECKOUT_REMOVE_UNTRACKED.rawValue | GIT_CHECKOUT_REMOVE_IGNORED.rawValue }
        options.baseline_index = index
        // A FIFO planted where a file goes would block the write forever; O_NONBLOCK makes it fail instead.
        options.file_open_flags = O_CREAT | O_TRUNC | O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC
        try check(git_checkout_tree(handle, treeObject, &options), operation)
        try check(git_index_write(index), operation)
    }

    /// Every path of a tree (files and folders) with its mode.
    private func entries(ofTree tree: OpaquePointer, operation: String) throws -> [String: UInt32] {
        final class Collected { var paths: [String: UInt32] = [:] }
        let collected = Collected()
        let result = withExtendedLifetime(collected) {
            git_tree_walk(tree, GIT_TREEWALK_PRE, { root, entry, payload in
                guard let root, let entry, let payload else { return 0 }
                let path = String(cString: root) + String(cString: git_tree_entry_name(entry))
                Unmanaged<Collected>.fromOpaque(payload).takeUnretainedValue().paths[path] = git_tree_entry_filemode(entry).rawValue
                return 0
            }, Unmanaged.passUnretained(collected).toOpaque())
        }
        try check(result, operation)
        return collected.paths
    }

    /// Removes each symbolic link in `directory` at a path (or on the way to one) that is not a link in
    /// `modes`, and anything at such a path that is neither a file, a folder nor a link (a FIFO, a socket).
    private func removeLinks(in directory: String, whereTreeHas modes: [String: UInt32]) throws {
        var checked: Set<String> = []
        let link = GIT_FILEMODE_LINK.rawValue
        for (path, mode) in modes {
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                guard checked.insert(prefix).inserted else { continue }
                var info = stat()
                let full = directory + "/" + prefix
                guard lstat(full, &info) == 0 else { continue }
                let type = info.st_mode & S_IFMT
                if type == S_IFREG || type == S_IFDIR { continue }
                if type == S_IFLNK && (modes[prefix] == link || (prefix == path && mode == link)) { continue }
                unlink(full)
            }
        }
    }
}
