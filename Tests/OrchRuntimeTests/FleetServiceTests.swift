import Foundation
import OrchCore
import Testing
@testable import OrchRuntime

/// What an instance's container is given: its own worktree and home and the
/// channel, nothing of the host's orch, with its privileges dropped.
@Suite struct FleetServiceTests {
    @Test func aContainerGetsNoHostBinaryOrHooksOrRunDirectoryAndDropsItsPrivileges() throws {
        let layout = StateLayout(root: "/state")
        let config = try OrchestratorConfig.parse(Data("""
            {"repositoryUrl": "/r", "workerCount": 2, "claudeConfigs": "c/*.json", "image": "orch-claude-test:latest",
             "resources": {"pids": 300}}
            """.utf8), file: "/conf/orchestrator.json")
        let server = ServerEndpoint(url: "http://172.17.0.1:4100", tokens: [.worker(2): "token-2", .manager: "token-m"])
        let configuration = Fleet.Configuration(config: config, credentials: [:], prompts: [:], server: server)
        let service = configuration.service(for: .worker(2), home: InstanceHome(instance: .worker(2), layout: layout), layout: layout, project: "p")
        let sources = service.mounts.map(\.source)
        #expect(!sources.contains { $0.hasSuffix("/orch") || $0.contains("/hooks") || $0.hasPrefix(layout.run) }, "\(sources)")
        #expect(!sources.contains(layout.worktree(.worker(1))) && !sources.contains(InstanceHome(instance: .worker(1), layout: layout).path))
        #expect(service.environment["ORCH_URL"] == "http://172.17.0.1:4100" && service.environment["ORCH_TOKEN"] == "token-2")
        #expect(!service.environment.values.contains("token-m"), "no other instance's token")
        #expect(service.pids == 300)
        let text = ComposeFile(services: [service]).rendered()
        #expect(text.contains(#"cap_drop: ["ALL"]"#) && text.contains(#"security_opt: ["no-new-privileges:true"]"#) && text.contains("pids_limit: 300"))
    }
}
