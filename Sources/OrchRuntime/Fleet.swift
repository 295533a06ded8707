import Foundation
import OrchCore

/// The manager and the workers as running processes: one container per
/// instance (one compose service each), each inside its own tmux session.
///
/// ```swift
/// let fleet = try await Fleet.launch(Fleet.Configuration(config: config, credentials: files, prompts: prompts), workspace: workspace, engine: engine)
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

    /// The state directory (pane logs, the compose file).
    public let layout: StateLayout
    /// Instances whose sessions outlived an earlier server and were kept.
    public var adopted: Set<InstanceName> = []

    /// Writes the homes of the instances not already running and the compose
    /// file, then starts a tmux session for every instance that has none.
    /// Sessions left by an earlier server are kept (their containers work on);
    /// dead ones are replaced.
    /// - Throws: ``RuntimeError`` when tmux or docker fail; ``OrchError`` for unreadable files.
    public static func launch(_ configuration: Configuration, workspace: Workspace, engine: ContainerEngine) async throws -> Fleet {
        let layout = workspace.layout
        let project = projectName(for: layout)
        let tmux = Tmux(socket: project)
        var live: Set<String> = []
        for (name, pane) in try await tmux.panes() where workspace.instances.contains(where: { "\($0)" == name }) {
            if pane.dead {
                try await tmux.killSession(name)
            } else {
                live.insert(name)
            }
        }
        if configuration.hooks == .http, let server = configuration.server {
            try writeManagedSettings(InstanceImage.managedSettings(httpEndpoint: server.url), to: layout.managedSettings)
        }
        var services: [ComposeFile.Service] = []
        for instance in workspace.instances {
            let home = InstanceHome(instance: instance, layout: layout)
            // Never rewrite the files of a Claude that is running: it rewrites them on exit.
            if !live.contains("\(instance)") {
                guard let credential = configuration.credentials[instance], let prompt = configuration.prompts[instance] else {
                    throw OrchError.failure("no credential file or role prompt for \(instance)")
                }
                try home.write(credential: credential, prompt: prompt, custody: configuration.custody)
                try home.prepareStart(resuming: home.lastSessionID(), prompt: configuration.resumePrompt)
            }
            services.append(configuration.service(for: instance, home: home, layout: layout, project: project))
        }
        let composeFile = layout.composeFile
        guard FileManager.default.createFile(atPath: composeFile, contents: Data(ComposeFile(services: services).rendered().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw OrchError.failure("cannot write \(composeFile)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: composeFile)
        var fleet = Fleet(project: project, tmux: tmux, engine: engine, instances: workspace.instances, composeFile: composeFile, layout: layout)
        fleet.adopted = Set(workspace.instances.filter { live.contains("\($0)") })
        let pending = workspace.instances.filter { !live.contains("\($0)") }
        // A container whose session is gone (running or stopped) would block its start.
        let leftovers = Set(try await engine.containers(prefix: project))
        try await engine.remove(pending.map(fleet.container).filter(leftovers.contains))
        try await fleet.start(pending)
        return fleet
    }

    /// Writes the file in place, and only when it changes: running containers have it bind-mounted
    /// (a file renamed over it would be a new inode they never see), and its content is the same across restarts.
    static func writeManagedSettings(_ data: Data, to path: String) throws {
        guard FileManager.default.contents(atPath: path) != data else { return }
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw OrchError.failure("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// The environment every container starts from.
    public static let defaultEnvironment = [
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_STOP_HOOK_BLOCK_CAP": "100000",
    ]

    /// Starts an instance's container and the tmux session attached to it
    /// (what its home's resume files say runs).
    /// - Parameters:
    ///   - instance: the instance; neither its session nor its container may exist (see ``stop(_:)``).
    /// - Throws: ``RuntimeError`` when Compose or tmux fail.
    public func start(_ instance: InstanceName) async throws {
        try await start([instance])
    }

    /// Starts instances' containers with one Compose call, then a tmux session
    /// attached to each. Compose v1 costs about a second of CPU per call, so one
    /// call for all is what keeps start-up short on a small machine.
    /// - Parameters:
    ///   - instances: instances with neither a session nor a container.
    /// - Throws: ``RuntimeError`` when Compose or tmux fail.
    public func start(_ instances: [InstanceName]) async throws {
        guard !instances.isEmpty else { return }
        try await engine.up(project: project, file: composeFile, services: instances.map { "\($0)" })
        func attach(_ instance: InstanceName) async throws {
            try await tmux.startSession("\(instance)", command: engine.attachCommandLine(container: container(instance)), logFile: layout.paneLog(instance))
        }
        // The first alone, so that only one process starts the tmux server.
        let running = try await tmux.sessions()
        var rest = instances[...]
        if running.isEmpty, let first = rest.popFirst() { try await attach(first) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in rest { group.addTask { try await attach(instance) } }
            try await group.waitForAll()
        }
    }

    /// Ends an instance's session and removes its container; its worktree, branch and home stay.
    /// - Parameters:
    ///   - instance: the instance.
    public func stop(_ instance: InstanceName) async {
        try? await tmux.killSession("\(instance)")
        try? await engine.remove([container(instance)])
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
