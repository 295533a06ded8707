import Foundation
import OrchCore

extension Fleet {
    /// What a fleet is launched with: the config's parts that shape the
    /// containers, each instance's credential file and role prompt, and the
    /// channel. orch and its hooks are inside the image: nothing of the host's is mounted.
    ///
    /// ```swift
    /// let configuration = try Fleet.Configuration(config: config, credentials: files, prompts: prompts, server: endpoint)
    /// let fleet = try await Fleet.launch(configuration, workspace: workspace, engine: engine)
    /// ```
    public struct Configuration: Sendable {
        /// The image every instance runs.
        public var image: String
        /// The containers' Docker network mode.
        public var network: String
        /// Per-container limits.
        public var resources: OrchestratorConfig.Resources?
        /// The config's `env`, over orch's defaults.
        public var environment: [String: String]
        /// Whom instances commit as, with the instance named; nil: `orch <instance>`.
        public var identity: GitIdentity?
        /// How many workers.
        public var workerCount: Int
        /// The target branch (each instance's clone keeps a copy of it).
        public var target: String
        /// Each instance's credential file.
        public var credentials: [InstanceName: CredentialFile]
        /// Each instance's role prompt, rendered.
        public var prompts: [InstanceName: String]
        /// The endpoint and tokens; nil runs the instances without a server.
        public var server: ServerEndpoint?
        /// How hook events reach the endpoint (`channel.hooks`).
        public var hooks: ChannelSettings.HookTransport
        /// Where the freshest copy of each OAuth file is kept; nil reads the files themselves.
        public var custody: CredentialCustody?
        /// The first instruction of a resumed conversation.
        public var resumePrompt = "orch restarted this session. Carry on where you left off."

        /// The projection of a validated config.
        public init(config: OrchestratorConfig, credentials: [InstanceName: CredentialFile], prompts: [InstanceName: String],
                    server: ServerEndpoint? = nil) {
            image = config.image
            network = config.network
            resources = config.resources
            environment = config.environment
            identity = config.gitIdentity ?? GitIdentity.host()
            workerCount = config.workerCount
            target = config.branch
            self.credentials = credentials
            self.prompts = prompts
            self.server = server
            hooks = config.channel.hooks
        }
    }
}

extension Fleet.Configuration {
    /// The compose service that runs one instance.
    func service(for instance: InstanceName, home: InstanceHome, layout: StateLayout, project: String) -> ComposeFile.Service {
        // Defaults a fleet wants, which the config's `env` may override: no telemetry or update
        // checks (they cost each client's start-up a second of CPU), and a Stop hook that may
        // hand a worker task after task without the client's cap of 8 consecutive blocks ending the turn.
        // Commits name the instance that wrote them; the config's `env` may still override.
        var environment = Fleet.defaultEnvironment.merging(GitIdentity.environment(for: instance, base: identity)) { $1 }
            .merging(self.environment) { $1 }
        environment["HOME"] = home.path
        environment["ORCH_ROLE"] = instance.role
        environment["ORCH_INSTANCE"] = "\(instance)"
        environment["TOTAL_WORKERS"] = String(workerCount)
        if let number = instance.workerNumber { environment["WORKER_ID"] = String(number) }
        environment["DISABLE_AUTOUPDATER"] = "1"
        // Claude Code refuses --dangerously-skip-permissions as root unless told it is sandboxed.
        if getuid() == 0 { environment["IS_SANDBOX"] = "1" }
        // Its own folder (which it clones its branch into), its home, and the settings with its credential, read-only.
        // No repository of the server's: the channel is how commits come and go.
        var mounts: [ComposeFile.Mount] = [.init(layout.worktree(instance)), .init(home.path), .init(home.settingsFile, readOnly: true)]
        if hooks == .http {
            // The HTTP hooks name the endpoint, known only now: they replace the image's managed settings.
            mounts.append(.init(layout.managedSettings, at: InstanceImage.managedSettingsPath, readOnly: true))
            environment[InstanceClone.hooksVariable] = hooks.rawValue
        }
        environment["ORCH_WORKTREE"] = layout.worktree(instance)
        environment["ORCH_TARGET"] = target
        if let server, let token = server.tokens[instance] {
            environment["ORCH_URL"] = server.url
            environment["ORCH_TOKEN"] = token
            // git sends the token to the channel only (a URL-scoped header), never to another host an agent fetches from.
            // On Docker Desktop a bind mount may show another owner: the clone is the instance's own, whoever git thinks owns it.
            environment["GIT_CONFIG_COUNT"] = "2"
            environment["GIT_CONFIG_KEY_0"] = "http.\(server.url)\(GitHTTPBackend.urlPath).extraHeader"
            environment["GIT_CONFIG_VALUE_0"] = "Authorization: Bearer \(token)"
            environment["GIT_CONFIG_KEY_1"] = "safe.directory"
            environment["GIT_CONFIG_VALUE_1"] = layout.worktree(instance)
        }
        return ComposeFile.Service(
            name: "\(instance)", containerName: "\(project)-\(instance)", image: image, user: "\(getuid()):\(getgid())",
            workingDirectory: layout.worktree(instance), environment: environment, mounts: mounts, network: network,
            cpus: resources?.cpus, memory: resources?.memory, pids: resources?.pids ?? OrchestratorConfig.Resources().pids, command: ["sh", "-c", InstanceHome.containerCommand])
    }
}
