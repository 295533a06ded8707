import CLibGit2

extension Repository {
    /// Pushes a branch to a remote (the same name there).
    ///
    /// The remote checks fast-forward against what it advertised when the push
    /// connected; libgit2's local transport then writes the ref without a lock-held
    /// comparison, so callers serialise pushes to one remote.
    /// - Parameters:
    ///   - branch: the short branch name.
    ///   - remote: the remote's name.
    ///   - force: allow a non-fast-forward update of the remote branch.
    /// - Throws: ``GitError`` when the remote is missing, unreachable, or rejects the update.
    public func push(branch: String, to remote: String = "origin", force: Bool = false) throws {
        let operation = "push \(branch) to \(remote)"
        var handle: OpaquePointer?
        try check(git_remote_lookup(&handle, pointer, remote), operation)
        defer { git_remote_free(handle) }
        var options = git_push_options()
        try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), operation)

        final class Rejections { var messages: [String] = [] }
        let rejections = Rejections()
        options.callbacks.push_update_reference = { refname, status, payload in
            if let status, let payload {
                let reason = String(cString: status)
                let name = refname.map { String(cString: $0) } ?? "?"
                Unmanaged<Rejections>.fromOpaque(payload).takeUnretainedValue().messages.append("\(name): \(reason)")
            }
            return 0
        }
        let refspec = "\(force ? "+" : "")refs/heads/\(branch):refs/heads/\(branch)"
        let result: Int32 = withExtendedLifetime(rejections) {
            options.callbacks.payload = Unmanaged.passUnretained(rejections).toOpaque()
            return refspec.withCString { spec in
                var strings: [UnsafeMutablePointer<CChar>?] = [UnsafeMutablePointer(mutating: spec)]
                return strings.withUnsafeMutableBufferPointer { buffer in
                    var array = git_strarray(strings: buffer.baseAddress, count: 1)
                    return git_remote_push(handle, &array, &options)
                }
            }
        }
        if result == GIT_ENONFASTFORWARD.rawValue {
            throw GitError(code: .rejected, message: "\(remote) has commits that \(branch) lacks (not a fast-forward)", operation: operation)
        }
        try check(result, operation)
        if let rejection = rejections.messages.first {
            throw GitError(code: .rejected, message: "rejected: \(rejection)", operation: operation)
        }
    }
}
