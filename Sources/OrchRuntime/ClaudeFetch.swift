import Foundation

/// Fetches the Linux Claude Code binary for an image without npm or a vendor
/// download: the PyPI wheel of claude-agent-sdk bundles it. pip downloads the
/// wheel for the image's architecture (whatever this machine is: a Mac builds
/// Linux images too) and Python's zipfile takes the binary out. Cached, like
/// `scripts/fetch-claude`, whose pinned pair this keeps in step with.
public struct ClaudeFetch: Sendable {
    /// The claude-agent-sdk release on PyPI.
    public var sdkVersion = "0.2.184"
    /// Where wheels and binaries are kept.
    public var cache: String

    public init(cache: String = ClaudeFetch.defaultCache()) {
        self.cache = cache
    }

    /// `$XDG_CACHE_HOME/orch`, else `~/.cache/orch`.
    public static func defaultCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/orch" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/orch"
    }

    /// The binary for an image of this architecture (`docker info`'s: x86_64 or aarch64).
    /// - Throws: ``RuntimeError`` naming what is missing (python3's pip) or what failed.
    public func binary(architecture: String) async throws -> String {
        let platform = "manylinux_2_17_\(architecture == "arm64" ? "aarch64" : architecture)"
        let destination = "\(cache)/claude-sdk-\(sdkVersion)-\(platform)/claude"
        if FileManager.default.isExecutableFile(atPath: destination) { return destination }
        let wheels = "\(cache)/wheels"
        try FileManager.default.createDirectory(atPath: wheels, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try await runCommand("python3", ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input", "--platform", platform,
                                         "--dest", wheels, "claude-agent-sdk==\(sdkVersion)"])
        let wheel = try FileManager.default.contentsOfDirectory(atPath: wheels)
            .first { $0.hasPrefix("claude_agent_sdk-\(sdkVersion)-") && $0.hasSuffix("\(platform).whl") }
        guard let wheel else {
            throw RuntimeError(code: .commandFailed, command: ["pip", "download"], message: "no claude-agent-sdk \(sdkVersion) wheel for \(platform) in \(wheels)")
        }
        // Extracted under a temporary name: an interrupted run leaves nothing that looks cached.
        let partial = destination + ".partial"
        try await runCommand("python3", ["-c", Self.extract, "\(wheels)/\(wheel)", partial])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: partial)
        _ = try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.moveItem(atPath: partial, toPath: destination)
        return destination
    }

    private static let extract = """
        import shutil, sys, zipfile
        with zipfile.ZipFile(sys.argv[1]) as z, z.open("claude_agent_sdk/_bundled/claude") as src, open(sys.argv[2], "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        """
}
