import Foundation
import OrchCore
import OrchRuntime
import ServiceLifecycle

extension Orchestrator {
    /// Launches the fleet once the hook receiver listens (hooks fired before would fail open and be lost),
    /// given where it listens.
    func fleetLauncher(credentials: [InstanceName: CredentialFile], custody: CredentialCustody,
                       listening: AsyncStream<ServerEndpoint>) -> @Sendable () async throws -> any InstanceProcesses {
        return { [self] in
            var server: ServerEndpoint?
            for await endpoint in listening { server = endpoint }
            try Task.checkCancellation()
            guard let server else { throw OrchError.failure("the hook endpoint did not start; see the error above") }
            var configuration = Fleet.Configuration(
                config: config, credentials: credentials, prompts: try templates.rolePrompts(for: workspace, workerCount: config.workerCount),
                server: server)
            configuration.custody = custody
            return try await Fleet.launch(configuration, workspace: workspace, engine: engine)
        }
    }

    /// The dashboard (best effort: it may fail without stopping the run), unless `dashboardPort` is 0.
    func dashboardService(status: @escaping @Sendable () async -> Data) -> ServiceGroupConfiguration.ServiceConfiguration? {
        guard config.dashboardPort != 0 else { return nil }
        let (port, logger) = (config.dashboardPort, logger)
        let dashboard = Dashboard(port: port, status: status, logger: logger).application(onRunning: { bound in
            logger.info("dashboard on http://127.0.0.1:\(bound)/ (metrics at /metrics)")
        })
        return .bestEffort(dashboard, name: "the dashboard on 127.0.0.1:\(port)", logger: logger)
    }

    /// The merge queue's gate, when the config has a `mergeCheck`.
    func mergeGate(tokens: InstanceTokens, events: EventLog) throws -> MergeGate? {
        try config.mergeCheck.map {
            try MergeGate.forServer(config: config, check: $0, layout: layout, target: workspace.target, credentials: credentials, tokens: tokens, events: events)
        }
    }

    /// Keeps what each instance's home holds of the OAuth file it was written from, when fresher than orch's copy.
    func keepCredentials(held: [InstanceName: CredentialFile], custody: CredentialCustody) {
        for (instance, file) in held where workspace.instances.contains(instance) {
            CredentialRotator.keep(from: InstanceHome(instance: instance, layout: layout), file: file, custody: custody, logger: logger)
        }
    }

    /// What an instance's clone mirrors, for the `Orch-Mirror` reply header: read after the event's own moves (the
    /// flow has answered by then) on a queue and a repository handle of its own, so a hook never waits behind
    /// another instance's Stop on the flow's queue.
    func mirrorReader() -> @Sendable (InstanceName) async -> String? {
        let reads = BlockingQueue(label: "orch.mirror")
        let workspace = TaskWorkspace(target: self.workspace.target, layout: layout)
        return { instance in await reads.run { try? workspace.mirror(of: instance) } }
    }

    /// The live status: as a report (the summary line, the metrics) and as the JSON `orch status` and the dashboard read.
    func statusSources(board: InstanceBoard, rotator: CredentialRotator, sync: RemoteSyncService)
        -> (report: @Sendable () async -> StatusReport?, json: @Sendable () async -> Data) {
        let (layout, target, instances, check) = (layout, workspace.target, workspace.instances, config.mergeCheck)
        // Read every second and per dashboard request: git's part is read off the cooperative pool.
        let reads = BlockingQueue(label: "orch.status")
        let report: @Sendable () async -> StatusReport? = {
            guard var report = try? await reads.run({ try StatusReport.fromState(layout: layout, target: target, instances: instances, mergeCheck: check) }) else { return nil }
            report.addLive(statuses: await board.snapshot(), pool: await rotator.snapshot, remote: await sync.snapshot(), usage: await rotator.usageByFile)
            OrchMetrics.update(from: report)
            return report
        }
        let json: @Sendable () async -> Data = {
            guard let current = await report() else { return Data(#"{"error": "cannot read the task state"}"#.utf8) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return (try? encoder.encode(current)) ?? Data()
        }
        return (report, json)
    }
}
