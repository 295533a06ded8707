import Foundation

/// Builds small real repositories with the git CLI.
public enum Fixtures {
    /// A non-bare repository on `main` with one commit holding `files`.
    /// - Parameters:
    ///   - path: where to create it.
    ///   - files: path → contents for the first commit.
    /// - Throws: when git fails.
    public static func repository(at path: String, files: [String: String] = ["README.md": "hello\n"]) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try git("init", "-q", "-b", "main", in: path)
        try write(files, in: path)
        try git("add", "-A", in: path)
        try git("commit", "-q", "-m", "initial", in: path)
    }

    /// Writes files (creating folders) into a working tree.
    /// - Parameters:
    ///   - files: path → contents.
    ///   - directory: the working tree.
    /// - Throws: when a write fails.
    public static func write(_ files: [String: String], in directory: String) throws {
        for (path, contents) in files {
            let full = (directory as NSString).appendingPathComponent(path)
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: full, atomically: true, encoding: .utf8)
        }
    }

    /// Commits `files` on `branch` in a repository through a temporary worktree-free
    /// plumbing route (git CLI), so the main working tree is left alone.
    /// - Parameters:
    ///   - files: path → contents.
    ///   - branch: the branch to commit on; created from `base` when missing.
    ///   - base: where a new branch starts.
    ///   - message: the commit message.
    ///   - repository: the repository's path.
    /// - Throws: when git fails.
    @discardableResult
    public static func commit(_ files: [String: String], on branch: String, from base: String = "main", message: String, in repository: String) throws -> String {
        let scratch = ScratchDirectory("orch-fixture-index")
        let env = gitEnvironment.merging(["GIT_INDEX_FILE": scratch("index")]) { $1 }
        func g(_ args: [String], input: String? = nil) throws -> String {
            let r = try run("git", args, in: repository, environment: env, input: input)
            guard r.status == 0 else { throw CommandFailed(command: ["git"] + args, result: r) }
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var parentRef = (try? g(["rev-parse", "--verify", "-q", "refs/heads/\(branch)"])) ?? ""
        if parentRef.isEmpty { parentRef = try g(["rev-parse", base]) }
        _ = try g(["read-tree", parentRef])
        for (path, contents) in files {
            let blob = try g(["hash-object", "-w", "--stdin"], input: contents)
            _ = try g(["update-index", "--add", "--cacheinfo", "100644,\(blob),\(path)"])
        }
        let tree = try g(["write-tree"])
        let commit = try g(["commit-tree", tree, "-p", parentRef, "-m", message])
        _ = try g(["update-ref", "refs/heads/\(branch)", commit])
        return commit
    }
}

/// The directory holding the package's built products (`orch` next to the test bundle).
extension Fixtures {
    /// An instance's own clone of its branch in orch's clone, as `orch checkout` makes it in a container
    /// (here straight from the bare clone's path rather than over the channel); made once.
    @discardableResult
    public static func instanceClone(of branch: String, from clone: String, at path: String) throws -> String {
        if !FileManager.default.fileExists(atPath: path + "/.git") {
            try? FileManager.default.removeItem(atPath: path)
            _ = try git("clone", "-q", "-b", branch, clone, path, in: "/")
        }
        return path
    }

    /// Hands an instance clone's branch back to orch's clone, as `orch hook Stop` does over the channel.
    public static func handBack(_ branch: String, from path: String) throws {
        _ = try git("push", "-q", "origin", "refs/heads/\(branch):refs/heads/\(branch)", in: path)
    }
}

public let productsDirectory: String = {
    // Linux: the test binary itself; macOS: the bundle's executable (argv[0] is the xctest runner there).
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundlePath ?? CommandLine.arguments[0]
    var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
    // The test binary sits inside orchPackageTests.xctest on Linux.
    while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("orch").path) {
        url.deleteLastPathComponent()
    }
    return url.path
}()

/// The path of the built `orch` executable.
public var orchExecutable: String { (productsDirectory as NSString).appendingPathComponent("orch") }
/// The built `orch-hook` forwarder, what the image's hooks run.
public var forwarderExecutable: String { (productsDirectory as NSString).appendingPathComponent("orch-hook") }

/// The two ways to forward a hook event: the full `orch hook EVENT`, and the `orch-hook EVENT` forwarder the image runs.
public enum HookCommand: String, CaseIterable, Sendable {
    case orch = "orch hook"
    case forwarder = "orch-hook"

    /// The executable and its arguments for `event`.
    public func invocation(_ event: String) -> (executable: String, arguments: [String]) {
        switch self {
        case .orch: (orchExecutable, ["hook", event])
        case .forwarder: (forwarderExecutable, [event])
        }
    }
}

/// The real Claude Code binary: `$ORCH_CLAUDE`, else where scripts/fetch-claude caches it.
public var claudeExecutable: String? {
    let environment = ProcessInfo.processInfo.environment
    if let explicit = environment["ORCH_CLAUDE"], FileManager.default.isExecutableFile(atPath: explicit) { return explicit }
    let cache = environment["ORCH_CACHE"] ?? ((environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/orch")
    let path = cache + "/claude-2.1.327/claude"
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}
