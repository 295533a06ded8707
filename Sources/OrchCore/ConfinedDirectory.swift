#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Files under a directory a container can write (an instance's home), read
/// and written by the server without trusting anything in it: every component
/// is opened from the directory down with `O_NOFOLLOW`, so a symlink planted
/// at `.orch` or `.orch/session-id` cannot send a write (as the server's user,
/// often root) or a read anywhere else; reads take regular files only, without
/// blocking (a FIFO would hang the server) and up to a size cap; writes go to a
/// fresh file that is renamed over the name, which replaces a planted symlink
/// rather than following it.
///
/// ```swift
/// let home = ConfinedDirectory(root: layout.home(.worker(1)))
/// try home.write(Data(id.utf8), to: ".orch/session-id")
/// let id = home.read(".orch/session-id", limit: 256)
/// ```
public struct ConfinedDirectory: Sendable {
    /// The directory; itself trusted (the server made it, in a folder no container sees).
    public let root: String

    public init(root: String) {
        self.root = root
    }

    /// Writes a file, creating missing folders (mode 0700) on the way.
    /// - Parameters:
    ///   - relative: its path under the root, e.g. `.claude/settings.json`.
    ///   - mode: its permissions.
    /// - Throws: ``OrchError`` naming the file when a component is not a plain folder or a call fails.
    public func write(_ data: Data, to relative: String, mode: mode_t = 0o600) throws {
        let (directory, name) = try openParent(of: relative, creating: true)
        defer { close(directory) }
        let temporary = ".\(name).orch-\(UInt32.random(in: 0...UInt32.max))"
        let fd = openat(directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("cannot create", relative) }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        // The mode is the one asked for whatever the umask.
        let moded = fchmod(fd, mode) == 0
        close(fd)
        guard written, moded, renameat(directory, temporary, directory, name) == 0 else {
            unlinkat(directory, temporary, 0)
            throw failure("cannot write", relative)
        }
    }

    /// A regular file's bytes, or nil when it is missing, not a regular file, or over `limit`
    /// (with `tail`, its last `limit` bytes instead).
    public func read(_ relative: String, limit: Int, tail: Bool = false) -> Data? {
        withRegularFile(relative) { fd, size in
            guard size <= limit || tail else { return nil }
            if size > limit { lseek(fd, off_t(size - limit), SEEK_SET) }
            return Self.readAll(fd, count: min(size, limit))
        }
    }

    /// Up to `limit` bytes of a regular file from `offset` on, and the file's size; nil when it is missing or not a
    /// regular file. A file shorter than `offset` (replaced) reads from its start.
    public func read(_ relative: String, from offset: Int, limit: Int) -> (bytes: Data, size: Int, from: Int)? {
        withRegularFile(relative) { fd, size in
            let start = offset <= size ? offset : 0
            guard lseek(fd, off_t(start), SEEK_SET) == off_t(start) else { return nil }
            return (Self.readAll(fd, count: min(size - start, limit)), size, start)
        }
    }

    /// Runs `body` on a regular file opened from the root down without following links, with its size.
    private func withRegularFile<Value>(_ relative: String, _ body: (Int32, Int) -> Value?) -> Value? {
        guard let (directory, name) = try? openParent(of: relative, creating: false) else { return nil }
        defer { close(directory) }
        let fd = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return body(fd, Int(status.st_size))
    }

    /// Up to `count` bytes from where the file stands.
    private static func readAll(_ fd: Int32, count: Int) -> Data {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < bytes.count {
            let read = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { break }
            filled += read
        }
        return Data(bytes.prefix(filled))
    }

    /// Removes a file (or a planted symlink) if it is there.
    public func remove(_ relative: String) {
        guard let (directory, name) = try? openParent(of: relative, creating: false) else { return }
        unlinkat(directory, name, 0)
        close(directory)
    }

    /// Whether `path` names a file under the root, by its text alone (no `..`, no empty parts).
    public func relativePath(of path: String) -> String? {
        guard path.hasPrefix(root + "/") else { return nil }
        let relative = String(path.dropFirst(root.count + 1))
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
        return relative
    }

    /// The folder holding `relative`, opened component by component without following links, and the file's name.
    private func openParent(of relative: String, creating: Bool) throws -> (Int32, String) {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.last, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw OrchError.failure("\(root)/\(relative): not a plain path")
        }
        // The root's own folders are the server's: made as any other path.
        if creating { try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
        var directory = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else { throw failure("cannot open", "") }
        for part in parts.dropLast() {
            if creating { mkdirat(directory, part, 0o700) }
            let next = openat(directory, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(directory)
            guard next >= 0 else { throw failure("not a plain folder on the way to", relative) }
            directory = next
        }
        return (directory, name)
    }

    private func failure(_ what: String, _ relative: String) -> OrchError {
        OrchError.failure("\(what) \(root)/\(relative): \(String(cString: strerror(errno)))")
    }
}

// The system calls by names that do not clash with this type's methods.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, buffer, count) }
