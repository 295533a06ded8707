import CLibGit2
import Foundation

extension Repository {
    /// Whether checking out `commit` would pass every file through unchanged, so
    /// libgit2's filters (line endings, ident, drivers) can be skipped.
    ///
    /// libgit2 looks up attributes for every file it writes, resolving each one's
    /// folder with `realpath` (a `readlink` per path component); on a 10,000-file
    /// tree that is most of a worktree's system calls. Filters can only change
    /// bytes when some attributes file or `core.autocrlf` asks them to, so with
    /// none of those present skipping them gives the same files.
    /// - Parameters:
    ///   - commit: the commit to be checked out.
    /// - Throws: ``GitError`` when the tree or config cannot be read.
    func checkoutFiltersAreNoOps(for commit: ObjectID) throws -> Bool {
        if try configValueAsksForConversion("core.autocrlf") { return false }
        var attributeFiles = [(commonDirectory as NSString).appendingPathComponent("info/attributes"), "/etc/gitattributes"]
        if let configured = try configString("core.attributesFile") {
            attributeFiles.append(configured.hasPrefix("~/") ? NSHomeDirectory() + configured.dropFirst() : configured)
        }
        let environment = ProcessInfo.processInfo.environment
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            attributeFiles.append(xdg + "/git/attributes")
        }
        attributeFiles.append((environment["HOME"] ?? NSHomeDirectory()) + "/.config/git/attributes")
        for file in attributeFiles where FileManager.default.fileExists(atPath: file) {
            return false
        }
        return try !treeHasAttributesFile(commit)
    }

    func configString(_ name: String) throws -> String? {
        var config: OpaquePointer?
        try check(git_repository_config_snapshot(&config, pointer), "read config")
        defer { git_config_free(config) }
        var entry: UnsafeMutablePointer<git_config_entry>?
        let result = git_config_get_entry(&entry, config, name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "read \(name)")
        defer { git_config_entry_free(entry) }
        return entry?.pointee.value.map { String(cString: $0) }
    }

    private func configValueAsksForConversion(_ name: String) throws -> Bool {
        guard let value = try configString(name)?.lowercased() else { return false }
        return !["false", "no", "off", "0", ""].contains(value)
    }

    private func treeHasAttributesFile(_ commit: ObjectID) throws -> Bool {
        try withTree(ofCommit: commit) { tree in
            final class Found { var value = false }
            let found = Found()
            let result = withExtendedLifetime(found) {
                git_tree_walk(tree, GIT_TREEWALK_PRE, { _, entry, payload in
                    guard let entry, let payload else { return 0 }
                    if strcmp(git_tree_entry_name(entry), ".gitattributes") == 0 {
                        Unmanaged<Found>.fromOpaque(payload).takeUnretainedValue().value = true
                        return -1
                    }
                    return 0
                }, Unmanaged.passUnretained(found).toOpaque())
            }
            if !found.value { try check(result, "walk tree of \(commit)") }
            return found.value
        }
    }
}
