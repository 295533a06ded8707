import Foundation
import OrchCore

extension Fleet {
    /// What a fleet is launched with: the config's parts that shape the
    /// containers, each instance's credential file and role prompt, and where
    /// orch's own files are for the containers to mount.
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
        /// Each instance's credential file.
        public var credentials: [InstanceName: CredentialFile]
        /// Each instance's role prompt, rendered.
        public var prompts: [InstanceName: String]
        /// The host folder mounted at `/opt/orch/hooks`.
        public var hooksDirectory: String?
        /// The host's `orch`, mounted at `/usr/local/bin/orch`.
        public var orchBinary: String?
        /// The socket and tokens; nil runs the instances without a server.
        public var server: ServerEndpoint?
        /// The first instruction of a resumed conversation.
        public var resumePrompt = "orch restarted this session. Carry on where you left off."

        /// The projection of a validated config.
        public init(config: OrchestratorConfig, credentials: [InstanceName: CredentialFile], prompts: [InstanceName: String],
                    hooksDirectory: String? = nil, orchBinary: String? = nil, server: ServerEndpoint? = nil) {
            image = config.image
            network = config.network
            resources = config.resources
            environment = config.environment
            identity = config.gitIdentity ?? GitIdentity.host()
            workerCount = config.workerCount
            self.credentials = credentials
            self.prompts = prompts
            self.hooksDirectory = hooksDirectory
            self.orchBinary = orchBinary
            self.server = server
        }
    }
}
