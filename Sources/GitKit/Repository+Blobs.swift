import CLibGit2
import Foundation

extension Repository {
    /// Writes `contents` as a blob (no tree, no reference): how orch keeps a
    /// record a reference points at.
    /// - Throws: ``GitError`` from libgit2.
    public func createBlob(_ contents: Data) throws -> ObjectID {
        var id = git_oid()
        let result = contents.withUnsafeBytes { bytes in
            git_blob_create_from_buffer(&id, pointer, bytes.baseAddress, bytes.count)
        }
        try check(result, "write blob")
        return ObjectID(id)
    }

    /// A blob's contents.
    /// - Throws: ``GitError`` when there is no such blob.
    public func blob(_ id: ObjectID) throws -> Data {
        var raw = id.raw
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, pointer, &raw), "read blob \(id)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let bytes = git_blob_rawcontent(blob) else { return Data() }
        return Data(bytes: bytes, count: size)
    }

    /// Deletes a reference only while it points at `expected`.
    /// - Throws: ``GitError`` `.modified` when it moved, `.notFound` when it is gone.
    public func deleteReference(_ name: String, expecting expected: ObjectID) throws {
        var ref: OpaquePointer?
        try check(git_reference_lookup(&ref, pointer, name), "look up \(name)")
        defer { git_reference_free(ref) }
        guard let target = git_reference_target(ref), ObjectID(target) == expected else {
            throw GitError(code: .modified, message: "\(name) moved", operation: "delete \(name)")
        }
        try check(git_reference_delete(ref), "delete \(name)")
    }

    /// A tree's id with the named files of its root left out (the tree is written, nothing else).
    /// - Throws: ``GitError`` from libgit2.
    public func tree(_ tree: ObjectID, withoutRootFiles names: [String]) throws -> ObjectID {
        let present = try withTree(tree) { Set(rootFileNames(inTree: $0)) }
        let removed = names.filter(present.contains)
        if removed.isEmpty { return tree }
        return try self.tree(tree, applying: removed.map { .remove(path: $0) })
    }

    /// The names of the files directly in a tree's root.
    /// - Throws: ``GitError`` when the tree cannot be read.
    public func rootFileNames(ofTree tree: ObjectID) throws -> [String] {
        try withTree(tree) { rootFileNames(inTree: $0) }
    }
}
