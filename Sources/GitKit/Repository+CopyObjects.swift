import CLibGit2
import Foundation

extension Repository {
    /// Copies into `destination` (another repository on this machine) the objects
    /// reachable from `tips` that its refs do not reach already, as one pack,
    /// writing no ref: the caller moves refs itself, by compare-and-swap.
    ///
    /// A fetch over libgit2's local transport would pack the objects of every ref
    /// of the source, so a push of the target would carry each worker's work in
    /// progress into the person's repository; here only the tips' history travels.
    /// - Throws: ``GitError`` naming the destination.
    public func copyObjects(reachableFrom tips: [ObjectID], into destination: Repository) throws {
        let operation = "copy \(tips.map(\.description).joined(separator: " ")) into \(destination.gitDirectory)"
        var walker: OpaquePointer?
        try check(git_revwalk_new(&walker, pointer), operation)
        defer { git_revwalk_free(walker) }
        for tip in tips {
            var raw = tip.raw
            try check(git_revwalk_push(walker, &raw), operation)
        }
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, pointer), operation)
        defer { git_odb_free(odb) }
        for known in Set(try destination.references(withPrefix: "refs/").values) {
            var raw = known.raw
            // A destination ref this repository has never seen hides nothing; one that names
            // a tag or a tree cannot be hidden and only costs a few objects sent again.
            guard git_odb_exists(odb, &raw) == 1 else { continue }
            _ = git_revwalk_hide(walker, &raw)
        }
        var builder: OpaquePointer?
        try check(git_packbuilder_new(&builder, pointer), operation)
        defer { git_packbuilder_free(builder) }
        try check(git_packbuilder_insert_walk(builder, walker), operation)
        guard git_packbuilder_object_count(builder) > 0 else { return }
        // Objects live in the common directory: a linked worktree's git directory has none.
        let packs = destination.commonDirectory + "objects/pack"
        try check(git_packbuilder_write(builder, packs, 0, nil, nil), operation)
    }
}
