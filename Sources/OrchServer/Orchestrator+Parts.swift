import Foundation
import OrchCore
import OrchRuntime

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
