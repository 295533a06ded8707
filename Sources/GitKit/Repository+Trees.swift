import CLibGit2
import Foundation

/// One change to a file in a tree.
public enum FileChange: Sendable, Equatable {
    /// Writes `contents` at the path (creating folders as needed).
    case write(path: String, contents: Data)
    /// Removes the file at the path.
    case remove(path: String)

    var path: String {
        switch self {
        case .write(let path, _), .remove(let path): path
        }
    }
}

extension Repository {
    /// The tree of a commit.
    /// - Parameters:
    ///   - commit: the commit id.
    /// - Throws: ``GitError`` when the commit is missing.
    public func treeID(ofCommit commit: ObjectID) throws -> ObjectID {
        var oid = commit.raw
        var object: OpaquePointer?
        try check(git_commit_lookup(&object, pointer, &oid), "look up commit \(commit)")
        defer { git_commit_free(object) }
        return ObjectID(git_commit_tree_id(object))
    }

    /// The contents of a file at a commit, or nil when the commit has no file there.
    /// - Parameters:
    ///   - path: the path from the repository's root, `/`-separated.
    ///   - commit: the commit to read from.
    /// - Throws: ``GitError`` when the commit cannot be read.
    public func readFile(_ path: String, at commit: ObjectID) throws -> Data? {
        try withTree(ofCommit: commit) { tree in try readFile(path, inTree: tree) }
    }

    /// The names of the files directly in the root of a commit's tree.
    /// - Parameters:
    ///   - commit: the commit to list.
    /// - Throws: ``GitError`` when the commit cannot be read.
    public func rootFileNames(at commit: ObjectID) throws -> [String] {
        try withTree(ofCommit: commit) { rootFileNames(inTree: $0) }
    }

    func rootFileNames(inTree tree: OpaquePointer) -> [String] {
        let count = git_tree_entrycount(tree)
        var names: [String] = []
        names.reserveCapacity(count)
        for index in 0..<count {
            let entry = git_tree_entry_byindex(tree, index)
            if git_tree_entry_type(entry) == GIT_OBJECT_BLOB {
                names.append(String(cString: git_tree_entry_name(entry)))
            }
        }
        return names
    }

    func withTree<T>(ofCommit commit: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withTree(try treeID(ofCommit: commit), body)
    }

    func withTree<T>(_ id: ObjectID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var raw = id.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &raw), "look up tree \(id)")
        defer { git_tree_free(tree) }
        return try body(tree!)
    }

    func readFile(_ path: String, inTree tree: OpaquePointer) throws -> Data? {
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, tree, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "find \(path)")
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return nil }
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, git_tree_entry_id(entry)), "read \(path)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: bytes, count: size)
    }

    /// A new tree: `base` (a tree id, or nil for an empty tree) with `changes` applied.
    /// No working tree or index is touched; only objects are written.
    /// - Parameters:
    ///   - base: the tree to start from.
    ///   - changes: the files to write or remove.
    /// - Throws: ``GitError`` from libgit2.
    public func tree(_ base: ObjectID?, applying changes: [FileChange]) throws -> ObjectID {
        var baseTree: OpaquePointer?
        if var baseID = base?.raw {
            try check(git_tree_lookup(&baseTree, pointer, &baseID), "look up tree \(base!)")
        }
        defer { git_tree_free(baseTree) }

        var updates: [git_tree_update] = []
        var paths: [UnsafeMutablePointer<CChar>] = []
        defer { paths.forEach { free($0) } }
        for change in changes {
            let path = strdup(change.path)!
            paths.append(path)
            var update = git_tree_update()
            update.path = UnsafePointer(path)
            switch change {
            case .write(let filePath, let contents):
                var blobID = git_oid()
                let result = contents.withUnsafeBytes { bytes in
                    git_blob_create_from_buffer(&blobID, pointer, bytes.baseAddress, bytes.count)
                }
                try check(result, "write blob for \(filePath)")
                update.action = GIT_TREE_UPDATE_UPSERT
                update.id = blobID
                update.filemode = GIT_FILEMODE_BLOB
            case .remove:
                update.action = GIT_TREE_UPDATE_REMOVE
            }
            updates.append(update)
        }
        var out = git_oid()
        if baseTree == nil {
            // git_tree_create_updated needs a baseline; start from the empty tree.
            var builder: OpaquePointer?
            try check(git_treebuilder_new(&builder, pointer, nil), "build empty tree")
            defer { git_treebuilder_free(builder) }
            var emptyID = git_oid()
            try check(git_treebuilder_write(&emptyID, builder), "write empty tree")
            try check(git_tree_lookup(&baseTree, pointer, &emptyID), "look up empty tree")
        }
        try check(git_tree_create_updated(&out, pointer, baseTree, updates.count, updates), "update tree")
        return ObjectID(out)
    }

    /// Writes a commit object without moving any reference.
    /// - Parameters:
    ///   - tree: the commit's tree.
    ///   - parents: its parents, first parent first.
    ///   - message: the commit message.
    /// - Throws: ``GitError`` from libgit2.
    public func createCommit(tree: ObjectID, parents: [ObjectID], message: String) throws -> ObjectID {
        let signature = try defaultSignature()
        defer { git_signature_free(signature) }
        var treeID = tree.raw
        var treeObject: OpaquePointer?
        try check(git_tree_lookup(&treeObject, pointer, &treeID), "look up tree \(tree)")
        defer { git_tree_free(treeObject) }

        var parentObjects: [OpaquePointer?] = []
        defer { parentObjects.forEach { git_commit_free($0) } }
        for parent in parents {
            var parentID = parent.raw
            var commit: OpaquePointer?
            try check(git_commit_lookup(&commit, pointer, &parentID), "look up commit \(parent)")
            parentObjects.append(commit)
        }
        var out = git_oid()
        let result = parentObjects.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(&out, pointer, nil, signature, signature, nil, message, treeObject, parents.count, buffer.baseAddress)
        }
        try check(result, "create commit")
        return ObjectID(out)
    }
}
