import Foundation
import OrchCore

/// The manager and the workers as running processes: one container per
/// instance (one compose service each), each inside its own tmux session.
///
/// ```swift
/// let fleet = try await Fleet.launch(config: config, credentials: files, workspace: workspace, templates: templates)
/// // … later
/// await fleet.stop()
/// ```
public struct Fleet: Sendable {
    /// The compose project (unique per state directory).
    public let project: String
    /// The tmux server the sessions run on.
    public let tmux: Tmux
    /// The engine and compose command.
    public let engine: ContainerEngine
    /// The instances, manager first.
    public let instances: [InstanceName]
    /// The compose file's path.
    public let composeFile: String

    /// The container name of an instance.
    /// - Parameters:
    ///   - instance: the instance.
    public func container(_ instance: InstanceName) -> String { "\(project)-\(instance)" }

    /// Writes every instance's home and the compose file, then starts a tmux session per instance.
    /// - Parameters:
    ///   - config: the validated config.
    ///   - credentials: the credential pool; instance i gets file i.
    ///   - workspace: the prepared workspace.
    ///   - templates: orch's templates (role prompts).
    ///   - engine: the container engine.
    ///   - hooksDirectory: the host folder mounted at `/opt/orch/hooks`.
    /// - Throws: ``RuntimeError`` when tmux or docker fail; ``OrchError`` for unreadable files.
    public static func launch(config: OrchestratorConfig, credentials: [CredentialFile], workspace: Workspace,
                              templates: TemplateDirectory, engine: ContainerEngine, hooksDirectory: String?) async throws -> Fleet {
        let layout = workspace.layout
        let project = projectName(for: layout)
        var services: [ComposeFile.Service] = []
        for (index, instance) in workspace.instances.enumerated() {
            let home = InstanceHome(instance: instance, layout: layout)
            var values = ["workerCount": String(config.workerCount), "worktree": layout.worktree(instance), "branch": workspace.target]
            if case .worker(let number) = instance { values["workerID"] = String(number) }
            let prompt = try templates.render("\(instance.role)-prompt.md", values)
            try home.write(credential: credentials[index], prompt: prompt)
            var environment = config.environment
            environment["HOME"] = home.path
            environment["ORCH_ROLE"] = instance.role
            environment["ORCH_INSTANCE"] = "\(instance)"
            environment["TOTAL_WORKERS"] = String(config.workerCount)
            if case .worker(let number) = instance { environment["WORKER_ID"] = String(number) }
            environment["DISABLE_AUTOUPDATER"] = "1"
            // Claude Code refuses --dangerously-skip-permissions as root unless told it is sandboxed.
            if getuid() == 0 { environment["IS_SANDBOX"] = "1" }
            var mounts: [ComposeFile.Mount] = [.init(layout.worktree(instance)), .init(layout.clone), .init(home.path)]
            if let hooksDirectory { mounts.append(.init(hooksDirectory, at: "/opt/orch/hooks", readOnly: true)) }
            services.append(.init(
                name: "\(instance)", image: config.image, user: "\(getuid()):\(getgid())", workingDirectory: layout.worktree(instance),
                environment: environment, mounts: mounts, network: config.network,
                cpus: config.resources?.cpus, memory: config.resources?.memory,
                command: ["sh", "-c", "exec claude --dangerously-skip-permissions \"$(cat \"$HOME/.orch/prompt.md\")\""]))
        }
        let composeFile = layout.root + "/compose.yml"
        guard FileManager.default.createFile(atPath: composeFile, contents: Data(ComposeFile(services: services).rendered().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw OrchError.failure("cannot write \(composeFile)")
        }
        let fleet = Fleet(project: project, tmux: Tmux(socket: project), engine: engine, instances: workspace.instances, composeFile: composeFile)
        // Start the sessions together: each spends about a second starting
        // docker-compose and then its container, which overlap well. The first
        // one alone, so that only one process starts the tmux server.
        let running = Set(try await fleet.tmux.sessions())
        let pending = workspace.instances.filter { !running.contains("\($0)") }
        func start(_ instance: InstanceName) async throws {
            try await fleet.tmux.startSession(
                "\(instance)",
                command: engine.runCommandLine(project: project, file: composeFile, service: "\(instance)", container: fleet.container(instance)),
                logFile: layout.logs + "/\(instance).log")
        }
        if let first = pending.first { try await start(first) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in pending.dropFirst() {
                group.addTask { try await start(instance) }
            }
            try await group.waitForAll()
        }
        return fleet
    }

    /// The compose project and tmux socket name of a state directory: the same
    /// in every run, so `orch attach` and a restarted server find the sessions.
    /// - Parameters:
    ///   - layout: the state directory's layout.
    public static func projectName(for layout: StateLayout) -> String {
        "orch" + String(UInt64(bitPattern: Int64(layout.root.hashValueStable)), radix: 36).prefix(10)
    }

    /// Ends every session and removes every container; worktrees, branches and homes stay.
    public func stop() async {
        try? await tmux.killServer()
        try? await engine.remove(instances.map(container))
    }
}

extension String {
    /// A hash that is the same in every run (Swift's `hashValue` is seeded per process).
    var hashValueStable: Int {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return Int(bitPattern: UInt(hash))
    }
}
