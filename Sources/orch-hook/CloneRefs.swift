#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OrchWire

/// What the instance's clone (`$ORCH_WORKTREE`) holds of its branch, read from
/// the ref files without git: the local branch and what the clone last saw of
/// the server's (`refs/remotes/origin/<branch>`, moved by every push and fetch).
/// Anything it cannot read plainly (a symbolic ref, another ref store) is nil,
/// which sends the hook the slow, sure way through `orch hook`.
struct CloneRefs {
    /// The clone's `.git` folder.
    let gitDirectory: String
    /// `orch/worker-2`, `orch/manager`.
    let branch: String
    /// The target branch (`main`), which the clone keeps as a local branch.
    let target: String

    /// The clone the container's environment names, when it has been made.
    init?() {
        guard let worktree = Output.environment("ORCH_WORKTREE"), let instance = Output.environment("ORCH_INSTANCE"),
              let target = Output.environment("ORCH_TARGET"), !target.contains(".."),
              instance.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) })
        else { return nil }
        gitDirectory = worktree + "/.git"
        branch = "orch/" + instance
        self.target = target
        guard access(gitDirectory + "/HEAD", F_OK) == 0 else { return nil }
    }

    /// The local branch's tip.
    var local: String? { resolve("refs/heads/" + branch) }
    /// The server's branch as the clone last saw it.
    var server: String? { resolve("refs/remotes/origin/" + branch) }

    /// What the clone mirrors of the server's refs, spelled as the server's `Orch-Mirror` reply header.
    var mirror: String {
        HookWire.mirror(branch: server, target: resolve("refs/heads/" + target), upstream: resolve("refs/remotes/upstream/" + target))
    }

    /// Whether the server holds the branch as it is here (so a Stop has nothing to hand back).
    var inStepWithServer: Bool {
        guard let local, let server else { return false }
        return local == server
    }

    /// An object id of a ref: its loose file, else (only when there is none) its line in `packed-refs`.
    func resolve(_ ref: String) -> String? {
        switch Self.readFile(gitDirectory + "/" + ref, limit: 128) {
        case .text(let loose):
            let id = loose.split(separator: "\n").first.map(String.init) ?? ""
            return HookWire.isObjectID(id) ? id : nil
        case .missing:
            guard case .text(let packed) = Self.readFile(gitDirectory + "/packed-refs", limit: 16 << 20) else { return nil }
            return HookWire.packedRef(ref, in: packed)
        case .unreadable:
            return nil
        }
    }

    enum FileRead {
        case text(String)
        /// No such file.
        case missing
        /// Something else: a symlink, a folder, an error.
        case unreadable
    }

    /// A regular file's text, up to `limit` bytes (a symlink is not followed).
    static func readFile(_ path: String, limit: Int) -> FileRead {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return errno == ENOENT ? .missing : .unreadable }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return .unreadable }
        var bytes = [UInt8](repeating: 0, count: min(limit, Int(status.st_size)))
        var filled = 0
        while filled < bytes.count {
            let count = bytes[filled...].withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return .unreadable }
            filled += count
        }
        return .text(String(decoding: bytes, as: UTF8.self))
    }
}
