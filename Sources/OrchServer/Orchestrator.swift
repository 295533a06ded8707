import Foundation
import Logging
import OrchCore
import OrchFlow
import OrchRuntime
import ServiceLifecycle

/// `orch serve`: checks everything it needs, prepares the workspace, then runs
/// the hook receiver and the supervised instances until asked to stop.
///
/// ```swift
/// let orchestrator = try await Orchestrator.prepare(configDirectory: "~/orch-config", stateDirectory: nil)
/// try await orchestrator.run(until: { _ = await ShutdownSignal().wait() })
/// ```
public struct Orchestrator: Sendable {
    /// The validated config.
    public let config: OrchestratorConfig
    /// The state directory.
    public let layout: StateLayout
    let credentials: [CredentialFile]
    let templates: TemplateDirectory
    let engine: ContainerEngine
    let workspace: Workspace
    let lock: StateLock
    let remote: RemoteSync
    let reach: ContainerEngine.HostReach
    let logger: Logger

    /// Validates the config and the machine, takes the state lock and prepares the workspace.
    /// - Parameters:
    ///   - configDirectory: the folder holding `orchestrator.json`.
    ///   - stateDirectory: `--state`, overriding the config's `stateDir`.
    ///   - logger: where the server logs.
    /// - Throws: ``OrchError`` with code `usage` for a bad config or a missing
    ///   prerequisite (nothing is started or written then), or for a state directory in use.
    public static func prepare(configDirectory: String, stateDirectory: String?, logger: Logger = Logger(label: "orch")) async throws -> Orchestrator {
        let configDirectory = expandingTilde(configDirectory)
        let config = try OrchestratorConfig.load(directory: configDirectory)
        let credentials = try config.credentialFiles(configFile: configDirectory + "/orchestrator.json")
        let layout = StateLayout(root: stateDirectory ?? config.stateDirectory ?? StateLayout.defaultRoot(for: config.repositoryURL))
        let remote = try RemoteSync(config: config, configFile: configDirectory + "/orchestrator.json", layout: layout)
        let templates = try TemplateDirectory.locate()
        let engine: ContainerEngine
        do {
            _ = try await Tmux(socket: "orch-probe").sessions()
        } catch let error as RuntimeError {
            throw OrchError.usage("tmux does not run (\(error.message)); install it, e.g. apt-get install tmux")
        }
        do {
            engine = try await ContainerEngine.detect()
        } catch let error as RuntimeError {
            throw OrchError.usage(error.message)
        }
        guard let labels = try await engine.imageLabels(config.image) else {
            throw OrchError.usage("image \(config.image) (field image) is not present; build it with `orch image build --tag \(config.image)`")
        }
        try InstanceImage.check(labels: labels, image: config.image)
        if let check = config.mergeCheck {
            try await ContainerMergeCheck(config: config).verify(check, field: "\(configDirectory)/orchestrator.json: field mergeCheck.command")
        }
        let fresh = !FileManager.default.fileExists(atPath: layout.root)
        let lock = try StateLock(path: layout.lock)
        let workspace: Workspace
        let reach: ContainerEngine.HostReach
        do {
            workspace = try Workspace.prepare(repositoryURL: config.repositoryURL, target: config.branch, workerCount: config.workerCount,
                                              layout: layout, remote: remote)
            reach = try await channelReach(config: config, engine: engine)
        } catch {
            // A state directory made by this attempt holds nothing but its clone: leave no trace of a refused start.
            if fresh { try? FileManager.default.removeItem(atPath: layout.root) }
            throw error
        }
        return Orchestrator(config: config, layout: layout, credentials: credentials, templates: templates, engine: engine,
                            workspace: workspace, lock: lock, remote: remote, reach: reach, logger: logger)
    }

    /// Runs the receiver and the instances until `shutdown` returns, then
    /// stops every container and session (worktrees, branches and homes stay).
    /// - Parameters:
    ///   - shutdown: returns when the server should stop (a signal, say).
    /// - Throws: when the receiver cannot listen or the instances cannot be launched.
    ///   - progress: the live summary line on a terminal; nil logs the summary as plain lines when it changes.
    public func run(until shutdown: @escaping @Sendable () async -> Void, progress: ProgressLine? = nil) async throws {
        let events = try EventLog(file: layout.events)
        let tokens = try InstanceTokens.loadOrCreate(file: layout.tokens, instances: workspace.instances)
        let board = InstanceBoard(instances: workspace.instances)
        // Before any home is rewritten: what the last run's instances refreshed is kept first, each as the file it held then.
        let custody = CredentialCustody(layout: layout, writeBack: config.writeBackCredentials)
        keepCredentials(held: CredentialPool.previousHolders(files: credentials, stateFile: layout.credentialState), custody: custody)
        let pool = try CredentialPool.load(files: credentials, instances: workspace.instances, stateFile: layout.credentialState)
        try pool.save()
        let assigned = Dictionary(uniqueKeysWithValues: workspace.instances.map { ($0, pool.file(of: $0)!) })
        let (listening, listeningContinuation) = AsyncStream<ServerEndpoint>.makeStream()
        let launchFleet = fleetLauncher(credentials: assigned, custody: custody, listening: listening)
        let supervisor = InstanceSupervisor(launch: launchFleet, board: board, policy: config.health, layout: layout, events: events, logger: logger)
        let flow = TaskFlow(configuration: .init(target: workspace.target, workerCount: config.workerCount, layout: layout, hooks: config.channel.hooks),
                            typer: { instance, text in try await supervisor.type(text, into: instance) },
                            watch: board, events: events, logger: logger)
        let rotator = CredentialRotator(pool: pool, supervisor: supervisor, flow: flow, board: board, layout: layout, policy: config.health,
                                        events: events, logger: logger, custody: custody)
        let sync = RemoteSyncService(sync: remote, fetchSeconds: config.remote.fetchSeconds, notify: { await flow.notify($0) },
                                     events: events, logger: logger)
        let router = HookRouter(board: board, layout: layout, flow: flow, rotator: rotator, events: events,
                                transcripts: TranscriptUsage(layout: layout), logger: logger)
        let (currentReport, status) = statusSources(board: board, rotator: rotator, sync: sync)
        let gate = try mergeGate(tokens: tokens, events: events)
        let git = GitHTTPBackend(layout: layout)
        try git.installHooks()
        OrchMetrics.bootstrap()
        let receiver = HookReceiver(address: listenAddress, tokens: tokens, handler: router, events: events, status: status, git: git,
                                    commands: ManagerCommands(layout: layout, target: workspace.target, logger: logger, gate: gate),
                                    mirror: mirrorReader(), logger: logger)
            .application(onRunning: { [self] port in
                do {
                    listeningContinuation.yield(try recordEndpoint(port: port, tokens: tokens))
                } catch {
                    logger.error("\(error)")
                }
                listeningContinuation.finish()
            })
        // The shutdown request ends the group gracefully: services stop in reverse order. The remote's sync stops
        // after the instances, so its last push holds their last merge; the supervisor is last so that it stops
        // first, and containers end before the receiver goes. Best-effort parts (the dashboard, the summary) may end
        // or fail without stopping the rest.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ShutdownTrigger(wait: shutdown), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: receiver), .init(service: flow), .init(service: rotator), .init(service: sync),
        ]
        // After the sync: it stops first, killing a running check (its branches stay queued), before the last push.
        if let gate { services.append(.init(service: MergeQueueService(gate: gate, logger: logger))) }
        if let dashboard = dashboardService(status: status) { services.append(dashboard) }
        services.append(.bestEffort(ProgressReporter(report: currentReport, line: progress, logger: logger), name: "the progress summary", logger: logger))
        services.append(.init(service: supervisor))
        try await ServiceGroup(configuration: .init(services: services, logger: logger)).run()
        // The instances have stopped: what they refreshed last is kept for the next run.
        keepCredentials(held: await rotator.heldFiles, custody: custody)
        withExtendedLifetime(lock) {}
    }
}
