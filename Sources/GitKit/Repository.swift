import CLibGit2
import Foundation

/// libgit2's global state, set up once per process before the first repository opens.
let libgit2Ready: Void = {
    git_libgit2_init()
    // Worktrees and clones that orch manages are bind-mounted into containers
    // where another uid owns them; ownership checks would refuse every open there.
    _ = orch_git_set_owner_validation(0)
    // libgit2 re-hashes every object it reads; git does not (objects are checked
    // once, when a fetch indexes them). Hashing every blob made checking out a
    // worktree take 1.6x git's CPU time.
    _ = orch_git_set_strict_hash_verification(0)
}()

/// A git repository opened through libgit2.
///
/// One `Repository` owns one `git_repository*`; it is not `Sendable`, so it stays
/// on the task that opened it, which is what libgit2 requires of its handles.
///
/// ```swift
/// let repo = try Repository.open(at: "/srv/project")
/// let tip = try repo.branchTip("main")
/// ```
public final class Repository {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Opens the repository that contains `path`, searching upwards, so any
    /// directory inside a working tree, a linked worktree or a bare repository works.
    /// - Parameters:
    ///   - path: a path inside the repository.
    ///   - searchingUpward: look in parent directories too, as git does in a work tree; a remote's path must be the repository itself.
    /// - Throws: ``GitError`` with code `.notFound` when no repository contains `path`.
    public static func open(at path: String, searchingUpward: Bool = true) throws -> Repository {
        _ = libgit2Ready
        var repo: OpaquePointer?
        let flags = searchingUpward ? 0 : GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        try check(git_repository_open_ext(&repo, path, flags, nil), "open repository \(path)")
        return Repository(pointer: repo!)
    }

    /// Clones `url` into `path`.
    /// - Parameters:
    ///   - url: a local path, `file://`, `https://` or `ssh://` URL.
    ///   - path: where the clone goes; it must not exist or be empty.
    ///   - bare: clone without a working tree.
    ///   - branch: the branch to check out (and make HEAD); the remote's default when nil.
    ///   - access: credentials and known_hosts for ssh and https remotes.
    /// - Throws: ``GitError`` from libgit2, or `.authentication` / `.hostKey` naming the remote and the method.
    public static func clone(from url: String, to path: String, bare: Bool = false, branch: String? = nil,
                             access: RemoteAccess? = nil) throws -> Repository {
        _ = libgit2Ready
        let operation = "clone \(RemoteSession.redacting(url)) into \(path)"
        var options = git_clone_options()
        try check(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), operation)
        options.bare = bare ? 1 : 0
        let session = access.map { RemoteSession(url: url, access: $0) }
        session?.install(into: &options.fetch_opts.callbacks)
        options.fetch_opts.follow_redirects = GIT_REMOTE_REDIRECT_NONE
        var repo: OpaquePointer?
        let result: Int32 = withExtendedLifetime(session) {
            if let branch {
                branch.withCString { name in
                    options.checkout_branch = name
                    return git_clone(&repo, url, path, &options)
                }
            } else {
                git_clone(&repo, url, path, &options)
            }
        }
        if result < 0 {
            throw session?.error(for: result, operation: operation) ?? GitError.last(result, operation: operation)
        }
        return Repository(pointer: repo!)
    }

    /// Whether the repository has no working tree.
    public var isBare: Bool { git_repository_is_bare(pointer) != 0 }

    /// Whether this handle was opened on a linked worktree.
    public var isLinkedWorktree: Bool { git_repository_is_worktree(pointer) != 0 }

    /// The git directory (`.git`, the bare repository, or `.git/worktrees/NAME`), with a trailing slash.
    public var gitDirectory: String { String(cString: git_repository_path(pointer)) }

    /// The directory shared by all worktrees: objects, refs, config.
    public var commonDirectory: String { String(cString: git_repository_commondir(pointer)) }

    /// The working tree, with a trailing slash, or nil for a bare repository.
    public var workingDirectory: String? {
        git_repository_workdir(pointer).map { String(cString: $0) }
    }

    /// The branch HEAD points at (short name), or nil when HEAD is detached.
    public func currentBranch() throws -> String? {
        var head: OpaquePointer?
        let result = git_repository_head(&head, pointer)
        if result == GIT_EUNBORNBRANCH.rawValue || result == GIT_ENOTFOUND.rawValue {
            return try unbornHeadBranch()
        }
        try check(result, "read HEAD")
        defer { git_reference_free(head) }
        guard git_reference_is_branch(head) != 0 else { return nil }
        return String(cString: git_reference_shorthand(head))
    }

    private func unbornHeadBranch() throws -> String? {
        var head: OpaquePointer?
        try check(git_reference_lookup(&head, pointer, "HEAD"), "read HEAD")
        defer { git_reference_free(head) }
        guard let target = git_reference_symbolic_target(head) else { return nil }
        return String(cString: target).droppingPrefix("refs/heads/")
    }

    /// A signature for commits orch writes: `GIT_AUTHOR_NAME` / `GIT_AUTHOR_EMAIL`
    /// when set (inside an instance's container they name the instance, so a
    /// merge the manager makes is signed by it), else the configured `user.name` /
    /// `user.email` with "(orch)" added, else `orch <orch@localhost>`.
    func defaultSignature() throws -> UnsafeMutablePointer<git_signature> {
        var signature: UnsafeMutablePointer<git_signature>?
        let environment = ProcessInfo.processInfo.environment
        if let name = environment["GIT_AUTHOR_NAME"], let email = environment["GIT_AUTHOR_EMAIL"], !name.isEmpty, !email.isEmpty,
           git_signature_now(&signature, name, email) == 0, let signature {
            return signature
        }
        if git_signature_default(&signature, pointer) == 0, let configured = signature {
            defer { git_signature_free(configured) }
            let name = String(cString: configured.pointee.name) + " (orch)"
            if git_signature_now(&signature, name, configured.pointee.email) == 0, let signature { return signature }
        }
        try check(git_signature_now(&signature, "orch", "orch@localhost"), "make signature")
        return signature!
    }
}

extension String {
    func droppingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
