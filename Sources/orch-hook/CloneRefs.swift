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

    /// An object id of a ref: its loose file, else its line in `packed-refs`.
    func resolve(_ ref: String) -> String? {
        if let loose = Self.readFile(gitDirectory + "/" + ref, limit: 128) {
            let id = loose.split(separator: "\n").first.map(String.init) ?? ""
            return Self.isObjectID(id) ? id : nil
        }
        guard let packed = Self.readFile(gitDirectory + "/packed-refs", limit: 16 << 20) else { return nil }
        for line in packed.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2, fields[1] == ref, Self.isObjectID(String(fields[0])) { return String(fields[0]) }
        }
        return nil
    }

    static func isObjectID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// A regular file's text, up to `limit` bytes; nil when it is not there or is something else.
    static func readFile(_ path: String, limit: Int) -> String? {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        var bytes = [UInt8](repeating: 0, count: min(limit, Int(status.st_size)))
        var filled = 0
        while filled < bytes.count {
            let count = bytes[filled...].withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            filled += count
        }
        return String(decoding: bytes[..<filled], as: UTF8.self)
    }
}
