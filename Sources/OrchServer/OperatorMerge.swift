import Foundation
import OrchCore
import OrchRuntime

/// `orch merge --config DIR` on the host: through the run's server when it
/// answers (with the operator's token, so its queue and gate take the
/// branches), else on the run's clone, gated by the config's `mergeCheck`
/// under the same lock the server takes.
public struct OperatorMerge: Sendable {
    let configDirectory: String
    let stateDirectory: String?

    public init(configDirectory: String, stateDirectory: String? = nil) {
        self.configDirectory = expandingTilde(configDirectory)
        self.stateDirectory = stateDirectory
    }

    /// - Throws: ``OrchError`` (usage) for a bad config or branch; what the merge throws.
    public func merge(_ request: ChannelCommand.MergeRequest) async throws -> ChannelCommand.MergeReply {
        let config = try OrchestratorConfig.load(directory: configDirectory)
        let layout = StateLayout(root: stateDirectory ?? config.stateDirectory ?? StateLayout.defaultRoot(for: config.repositoryURL))
        guard FileManager.default.fileExists(atPath: layout.clone) else {
            throw OrchError.usage("no orch state in \(layout.root) (no repo.git): run orch serve --config \(configDirectory) first")
        }
        if let server = await Self.server(layout: layout) {
            return try await server.merge(request)
        }
        guard let check = config.mergeCheck else {
            return try await BlockingQueue(label: "orch.merge").run {
                let repository = try ProjectRepository(path: layout.clone)
                let names = try BranchMerge.branches(named: request.branches, all: request.all, in: repository)
                return .init(target: config.branch, results: try BranchMerge(target: config.branch).reports(merging: names, in: repository))
            }
        }
        // Every file the glob names, valid or not: only to scrub their values from the check's output.
        let scrubber = SecretScrubber(credentialFiles: CredentialFile.paths(matching: config.claudeConfigs), extras: InstanceTokens.secrets(inFile: layout.tokens))
        let runner = ContainerMergeCheck(config: config)
        try await runner.verify(check, field: "\(configDirectory)/orchestrator.json: field mergeCheck.command")
        let events = try EventLog(file: layout.events)
        let gate = try MergeGate(configuration: .init(repository: layout.clone, target: config.branch, check: check, scrubber: scrubber),
                                 runner: runner, observer: MergeGate.recording(to: events))
        return try await gate.answer(request, gating: true)
    }

    /// The run's server, when it answers.
    static func server(layout: StateLayout) async -> HookClient? {
        guard let endpoint = ChannelEndpoint.load(from: layout.endpoint), let address = ChannelAddress(url: endpoint.hostURL),
              let token = InstanceTokens.operatorToken(inFile: layout.tokens) else { return nil }
        guard case .reply(200, _) = await HookClient(endpoint: address, token: token, timeout: .seconds(1)).get("/status") else { return nil }
        return HookClient(endpoint: address, token: token, timeout: .seconds(120))
    }
}
