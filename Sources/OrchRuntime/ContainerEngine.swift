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
        if (try? await runCommand("docker-compose", ["version"])) != nil {
            return ContainerEngine(compose: ["docker-compose"])
        }
        throw RuntimeError(code: .programMissing, command: ["docker", "compose"],
                           message: "neither `docker compose` nor `docker-compose` works; install Debian's docker-compose")
    }

    /// Whether an image is present locally (none can be pulled here).
    /// - Parameters:
    ///   - image: e.g. `orch-claude-test:latest`.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func hasImage(_ image: String) async throws -> Bool {
        let output = try await runCommand("docker", ["image", "inspect", "--format", "{{.Id}}", image], allowFailure: true)
        return output.hasPrefix("sha256:")
    }

    /// The command line that runs one service of a compose file interactively,
    /// removed when it exits: what an instance's tmux session runs.
    /// - Parameters:
    ///   - project: the compose project name.
    ///   - file: the compose file.
    ///   - service: the service.
    ///   - container: the container's name.
    public func runCommandLine(project: String, file: String, service: String, container: String) -> String {
        (compose + ["-p", project, "-f", file, "run", "--rm", "--name", container, service]).map(shellQuoted).joined(separator: " ")
    }

    /// The names of running containers whose name starts with `prefix`.
    /// - Parameters:
    ///   - prefix: e.g. the compose project's name.
    /// - Throws: ``RuntimeError`` when docker cannot run.
    public func runningContainers(prefix: String) async throws -> [String] {
        let output = try await runCommand("docker", ["ps", "--format", "{{.Names}}", "--filter", "name=^\(prefix)"])
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
