import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the merge gate of one target works, inside the repository's git
/// folder (`<git dir>/orch-gate/<target>/`), so every `orch merge` on that
/// repository, the server's included, finds the same lock and worktree:
/// `lock` (one gate at a time), `worktree` (the merged tree, reused so builds
/// are incremental), `index` (what was written there last), `home` (the
/// check's HOME, for the toolchain's caches) and `running.json` (what is
/// being checked, for `orch status`).
public struct GatePlace: Sendable, Equatable {
    public let root: String

    public init(gitDirectory: String, target: String) {
        var directory = gitDirectory
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        root = directory + "/orch-gate/" + MergeQueue.key(target)
    }

    public var lock: String { root + "/lock" }
    public var worktree: String { root + "/worktree" }
    public var index: String { root + "/index" }
    public var home: String { root + "/home" }
    public var running: String { root + "/running.json" }

    /// Removes the worktree and its index, whatever the last check did to their modes.
    func wipeWorktree() throws {
        Self.makeWritable(worktree)
        try? FileManager.default.removeItem(atPath: index)
        try FileManager.default.removeItem(atPath: worktree)
        try prepare()
    }

    /// Empties the check's HOME (`mergeCheck.clean`).
    func wipeHome() throws {
        Self.makeWritable(home)
        if FileManager.default.fileExists(atPath: home) { try FileManager.default.removeItem(atPath: home) }
    }

    /// Gives each folder under `folder` (not following links) its owner's modes back, so it can be removed.
    private static func makeWritable(_ folder: String) {
        var info = stat()
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return }
        chmod(folder, 0o700)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] { makeWritable(folder + "/" + name) }
    }

    /// Makes the folders (0700: the checked code and its output are the project's).
    func prepare() throws {
        for folder in [root, worktree, home] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }
}

/// The gate's lock: `flock` on `GatePlace.lock`, held while the value lives.
/// A process that dies drops it with its descriptor, so a crash never leaves the queue locked.
public final class GateLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock, or nil when another holder has it.
    /// - Throws: ``OrchError`` when the lock file cannot be opened.
    public static func attempt(_ place: GatePlace) throws -> GateLock? {
        try FileManager.default.createDirectory(atPath: place.root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(place.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw OrchError.failure("cannot open \(place.lock): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return GateLock(descriptor: descriptor)
    }

    /// Whether some process holds the lock now.
    public static func isHeld(_ place: GatePlace) -> Bool {
        let descriptor = open(place.lock, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// What the gate is checking now, in `running.json` (no secret).
public struct GateRunning: Codable, Sendable, Equatable {
    public var branches: [String]
    /// Unix seconds.
    public var since: Double
    public var pid: Int32

    public init(branches: [String], since: Double, pid: Int32 = getpid()) {
        self.branches = branches
        self.since = since
        self.pid = pid
    }

    /// What `running.json` says, while a gate holds the lock.
    public static func current(_ place: GatePlace) -> GateRunning? {
        guard GateLock.isHeld(place), let data = FileManager.default.contents(atPath: place.running) else { return nil }
        return try? JSONDecoder().decode(GateRunning.self, from: data)
    }
}
