import Foundation

/// A Docker Compose file with one service per instance, in the subset of the
/// format that both `docker compose` (v2) and `docker-compose` (v1.29) read.
public struct ComposeFile: Sendable, Equatable {
    /// One bind mount.
    public struct Mount: Sendable, Equatable {
        /// The path on the host.
        public var source: String
        /// The path in the container.
        public var target: String
        /// Mounted read-only.
        public var readOnly: Bool

        /// - Parameters:
        ///   - source: the host path.
        ///   - target: the container path (the host path when nil).
        ///   - readOnly: mount it read-only.
        public init(_ source: String, at target: String? = nil, readOnly: Bool = false) {
            self.source = source
            self.target = target ?? source
            self.readOnly = readOnly
        }
    }

    /// One service: an instance's container.
    public struct Service: Sendable, Equatable {
        /// The service's name (the instance's name).
        public var name: String
        /// The container's name (`container_name`), so every tool finds it by one name.
        public var containerName: String?
        /// The image.
        public var image: String
        /// `uid:gid` to run as, so files in the mounts belong to the host's owner.
        public var user: String?
        /// The working directory.
        public var workingDirectory: String?
        /// Environment variables.
        public var environment: [String: String]
        /// Bind mounts.
        public var mounts: [Mount]
        /// `network_mode`: `bridge`, `host` or a network name.
        public var network: String
        /// CPU limit.
        public var cpus: Double?
        /// Memory limit (`4g`).
        public var memory: String?
        /// Process limit (`pids_limit`).
        public var pids: Int?
        /// The command and its arguments.
        public var command: [String]

        /// - Parameters: see the properties.
        public init(name: String, containerName: String? = nil, image: String, user: String? = nil, workingDirectory: String? = nil, environment: [String: String] = [:],
                    mounts: [Mount] = [], network: String = "bridge", cpus: Double? = nil, memory: String? = nil, pids: Int? = nil,
                    command: [String] = []) {
            self.name = name
            self.containerName = containerName
            self.image = image
            self.user = user
            self.workingDirectory = workingDirectory
            self.environment = environment
            self.mounts = mounts
            self.network = network
            self.cpus = cpus
            self.memory = memory
            self.pids = pids
            self.command = command
        }
    }

    /// The services, in order.
    public var services: [Service]

    /// - Parameters:
    ///   - services: the services.
    public init(services: [Service]) {
        self.services = services
    }

    /// The file's text. Every string is written as a JSON string, which YAML reads as-is.
    public func rendered() -> String {
        var lines = ["# Written by orch serve; regenerated on every start.", "version: \"2.4\"", "services:"]
        for service in services {
            lines.append("  \(quoted(service.name)):")
            if let containerName = service.containerName { lines.append("    container_name: \(quoted(containerName))") }
            lines.append("    image: \(quoted(service.image))")
            if let user = service.user { lines.append("    user: \(quoted(user))") }
            if let directory = service.workingDirectory { lines.append("    working_dir: \(quoted(directory))") }
            // docker-init as PID 1: Claude gets default signal handling, and when it
            // dies the container ends with its status, which the health check reads.
            lines.append("    init: true")
            lines.append("    stdin_open: true")
            lines.append("    tty: true")
            if Self.isBuiltInNetworkMode(service.network) {
                lines.append("    network_mode: \(quoted(service.network))")
            } else {
                lines.append("    networks: [\(quoted(service.network))]")
            }
            if let cpus = service.cpus { lines.append("    cpus: \(cpus)") }
            if let memory = service.memory { lines.append("    mem_limit: \(quoted(memory))") }
            if let pids = service.pids { lines.append("    pids_limit: \(pids)") }
            // Agent-run code needs no capability (it runs as the worktree's owner) and must not gain one
            // through a setuid binary in the image.
            lines.append("    cap_drop: [\"ALL\"]")
            lines.append("    security_opt: [\"no-new-privileges:true\"]")
            // The image's files (orch, its hooks, the managed settings) stay as built; Claude writes its home, the worktree and /tmp.
            lines.append("    read_only: true")
            lines.append("    tmpfs: [\"/tmp\"]")
            if !service.environment.isEmpty {
                lines.append("    environment:")
                for (key, value) in service.environment.sorted(by: { $0.key < $1.key }) {
                    lines.append("      \(quoted(key)): \(quoted(value))")
                }
            }
            if !service.mounts.isEmpty {
                lines.append("    volumes:")
                for mount in service.mounts {
                    lines.append("      - \(quoted("\(mount.source):\(mount.target)\(mount.readOnly ? ":ro" : "")"))")
                }
            }
            if !service.command.isEmpty {
                lines.append("    command: [\(service.command.map(quoted).joined(separator: ", "))]")
            }
        }
        // A named network is one the person made (`docker network create`); compose must not create its own.
        let named = Set(services.map(\.network).filter { !Self.isBuiltInNetworkMode($0) }).sorted()
        if !named.isEmpty {
            lines.append("networks:")
            for network in named {
                lines.append("  \(quoted(network)):")
                lines.append("    external: true")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func isBuiltInNetworkMode(_ network: String) -> Bool {
        ["host", "bridge", "none"].contains(network) || network.hasPrefix("container:") || network.hasPrefix("service:")
    }

    /// A JSON string, with `$` doubled: Compose interpolates `$NAME` in every value.
    private func quoted(_ text: String) -> String {
        let data = try! JSONEncoder().encode(text.replacingOccurrences(of: "$", with: "$$"))
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
    }
}
