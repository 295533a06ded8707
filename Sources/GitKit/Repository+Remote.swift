import CLibGit2
import Foundation

extension Repository {
    /// Fetches from a URL into local refs, authenticating through `access`.
    ///
    /// The remote is anonymous: the refspecs say exactly which refs are written,
    /// so nothing in the repository's config steers where they land.
    /// - Parameters:
    ///   - url: the remote's URL or path.
    ///   - refspecs: e.g. `+refs/heads/main:refs/remotes/origin/main`.
    ///   - access: credentials and the known_hosts file.
    /// - Throws: ``GitError``: `.authentication` or `.hostKey` naming the remote
    ///   and the method; otherwise libgit2's error prefixed with the remote.
    public func fetch(from url: String, refspecs: [String], access: RemoteAccess) throws {
        let operation = "fetch from \(RemoteSession.redacting(url))"
        let session = RemoteSession(url: url, access: access)
        let remote = try anonymousRemote(url, session: session, operation: operation)
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), operation)
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        // A token is for the configured host: no redirects to another.
        options.follow_redirects = GIT_REMOTE_REDIRECT_NONE
        session.install(into: &options.callbacks)
        let result = withExtendedLifetime(session) {
            withStringArray(refspecs) { git_remote_fetch(remote, $0, &options, "orch: fetch") }
        }
        if result < 0 { throw session.error(for: result, operation: operation) }
    }

    /// Pushes refs to a URL, authenticating through `access`.
    /// - Parameters:
    ///   - url: the remote's URL or path.
    ///   - refspecs: e.g. `refs/heads/main:refs/heads/main` (fast-forward only) or
    ///     `+refs/heads/orch/worker-1:refs/heads/orch/worker-1` (may force).
    ///   - access: credentials and the known_hosts file.
    /// - Throws: ``GitError`` `.rejected` when the remote holds commits a
    ///   non-forced ref lacks, or refuses a ref; `.authentication` / `.hostKey`
    ///   naming the remote and the method; otherwise libgit2's error.
    public func push(to url: String, refspecs: [String], access: RemoteAccess) throws {
        let display = RemoteSession.redacting(url)
        let operation = "push to \(display)"
        let session = RemoteSession(url: url, access: access)
        let remote = try anonymousRemote(url, session: session, operation: operation)
        defer { git_remote_free(remote) }
        var options = git_push_options()
        try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), operation)
        options.follow_redirects = GIT_REMOTE_REDIRECT_NONE
        session.install(into: &options.callbacks)
        let result = withExtendedLifetime(session) {
            withStringArray(refspecs) { git_remote_push(remote, $0, &options) }
        }
        if result == GIT_ENONFASTFORWARD.rawValue {
            throw GitError(code: .rejected, message: "\(display) has commits that the pushed branch lacks (not a fast-forward)", operation: operation)
        }
        if result < 0 { throw session.error(for: result, operation: operation) }
        if let rejection = session.rejections.first {
            throw GitError(code: .rejected, message: "\(display) refused \(rejection.ref): \(rejection.reason)", operation: operation)
        }
    }

    private func anonymousRemote(_ url: String, session: RemoteSession, operation: String) throws -> OpaquePointer {
        var remote: OpaquePointer?
        let result = git_remote_create_anonymous(&remote, pointer, url)
        if result < 0 { throw session.error(for: result, operation: operation) }
        return remote!
    }
}

/// Calls `body` with `strings` as a `git_strarray` that lives for the call.
func withStringArray<Result>(_ strings: [String], _ body: (UnsafeMutablePointer<git_strarray>) -> Result) -> Result {
    var pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
        return body(&array)
    }
}

extension Repository {
    /// A configured remote's URL (`remote.NAME.url`) as it may be shown, or nil.
    /// - Throws: ``GitError`` when the config cannot be read.
    public func remoteURL(_ name: String) throws -> String? {
        try configString("remote.\(name).url").map(RemoteAccess.redacting)
    }
}
