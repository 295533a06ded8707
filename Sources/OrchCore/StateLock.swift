import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a state directory, held while the value lives: a second
/// `orch serve` on the same state is refused, naming the first one's pid.
public final class StateLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock.
    /// - Parameters:
    ///   - path: the lock file (created if missing).
    /// - Throws: ``OrchError`` (failure) naming the pid that holds it.
    public init(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OrchError.failure("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(descriptor)
            throw OrchError.failure("another orch serve (pid \(holder.isEmpty ? "?" : holder)) is using \((path as NSString).deletingLastPathComponent)")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
