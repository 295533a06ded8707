import Foundation

/// The Docker engine and whichever Compose the machine has: `docker compose`
/// (v2) or `docker-compose` (v1).
public struct ContainerEngine: Sendable {
    /// The command that runs Compose, e.g. `["docker", "compose"]`.
    public let compose: [String]

    /// Finds Compose and checks the engine answers.
    /// - Throws: ``RuntimeError`` saying how to fix a missing engine or Compose.
    public static func detect() async throws -> ContainerEngine {
        do {
            try await runCommand("docker", ["info", "--format", "{{.ServerVersion}}"])
        } catch let error as RuntimeError {
            throw RuntimeError(code: error.code, command: ["docker", "info"],
                               message: "no Docker engine answers (\(error.message)); start one, e.g. with scripts/start-dockerd")
        }
        if (try? await runCommand("docker", ["compose", "version"])) != nil {
            return ContainerEngine(compose: ["docker", "compose"])
        }
        // Found on PATH rather than run: starting v1 (Python) costs about half a second of CPU.
        if Self.executableOnPath("docker-compose") != nil {
            return ContainerEngine(compose: ["docker-compose"])
        }
        throw RuntimeError(code: .programMissing, command: ["docker", "compose"],
                           message: "neither `docker compose` nor `docker-compose` works; install Debian's docker-compose")
    }

    static func executableOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether an image is present locally (none can be pulled here).
    /// - Parameters:
    ///   - image: e.g. `orch-claude-test:latest`.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func hasImage(_ image: String) async throws -> Bool {
        let output = try await runCommand("docker", ["image", "inspect", "--format", "{{.Id}}", image], allowFailure: true)
        return output.hasPrefix("sha256:")
    }

    /// The engine's architecture (`x86_64`, `aarch64`): what an image's binaries must be built for.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func architecture() async throws -> String {
        try await runCommand("docker", ["info", "--format", "{{.Architecture}}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An image's labels, or nil when the image is not present.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func imageLabels(_ image: String) async throws -> [String: String]? {
        let output = try await runCommand("docker", ["image", "inspect", "--format", "{{json .Config.Labels}}", image], allowFailure: true)
        guard let data = output.data(using: .utf8), let json = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) else { return nil }
        // An image without labels prints `null`.
        return (json as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
    }

    /// Creates and starts services' containers in the background, all in one
    /// Compose call (Compose v1 is a Python program: one start instead of one per instance).
    /// - Parameters:
    ///   - project: the compose project name.
    ///   - file: the compose file.
    ///   - services: the services to start; their containers must not exist.
    /// - Throws: ``RuntimeError`` when Compose fails.
    public func up(project: String, file: String, services: [String]) async throws {
        guard !services.isEmpty else { return }
        let command = compose + ["-p", project, "-f", file, "up", "--detach", "--no-deps", "--force-recreate"] + services
        try await runCommand(command[0], Array(command.dropFirst()))
    }

    /// The command line that attaches a terminal to a container started by
    /// ``up(project:file:services:)``: what an instance's tmux session runs. It
    /// ends when the container does. Detaching needs Ctrl-_ twice, which no
    /// person types by chance (Docker's default, Ctrl-P Ctrl-Q, would swallow Ctrl-P).
    /// - Parameters:
    ///   - container: the container's name.
    public func attachCommandLine(container: String) -> String {
        ["docker", "attach", "--detach-keys", "ctrl-_,ctrl-_", container].map(shellQuoted).joined(separator: " ")
    }

    /// The exit code of a container that has stopped (nil while it runs or when it is gone).
    /// - Parameters:
    ///   - container: the container's name.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func exitCode(of container: String) async throws -> Int? {
        let output = try await runCommand("docker", ["inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", container], allowFailure: true)
        let fields = output.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard fields.count == 2, fields[0] == "false" else { return nil }
        return Int(fields[1])
    }

    /// The names of running containers whose name starts with `prefix`.
    /// - Parameters:
    ///   - prefix: e.g. the compose project's name.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func runningContainers(prefix: String) async throws -> [String] {
        let output = try await runCommand("docker", ["ps", "--format", "{{.Names}}", "--filter", "name=^\(prefix)"])
        return output.split(separator: "\n").map(String.init).sorted()
    }

    /// The names of containers, running or stopped, whose name starts with `prefix`.
    /// - Parameters:
    ///   - prefix: e.g. the compose project's name.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func containers(prefix: String) async throws -> [String] {
        let output = try await runCommand("docker", ["ps", "--all", "--format", "{{.Names}}", "--filter", "name=^\(prefix)"])
        return output.split(separator: "\n").map(String.init).sorted()
    }

    /// Stops and removes containers by name; missing ones are fine.
    /// - Parameters:
    ///   - names: the containers.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func remove(_ names: [String]) async throws {
        guard !names.isEmpty else { return }
        try await runCommand("docker", ["rm", "-f"] + names, allowFailure: true)
    }
}
