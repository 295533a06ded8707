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
        #expect(sources == [layout.worktree(.worker(2)), InstanceHome(instance: .worker(2), layout: layout).path,
                            InstanceHome(instance: .worker(2), layout: layout).settingsFile], "no repository of the server's: \(sources)")
        #expect(service.environment["ORCH_URL"] == "http://172.17.0.1:4100" && service.environment["ORCH_TOKEN"] == "token-2")
        #expect(service.environment["ORCH_WORKTREE"] == layout.worktree(.worker(2)) && service.environment["ORCH_TARGET"] == "main")
        // git sends the token to the channel's clone only, not to any other host an agent fetches from.
        #expect(service.environment["GIT_CONFIG_KEY_0"] == "http.http://172.17.0.1:4100/git/repo.git.extraHeader")
        #expect(service.environment["GIT_CONFIG_VALUE_0"] == "Authorization: Bearer token-2")
        #expect(service.environment["GIT_CONFIG_COUNT"] == "2" && service.environment["GIT_CONFIG_VALUE_1"] == layout.worktree(.worker(2)))
        #expect(service.command.last?.hasPrefix("orch checkout || exit 1;") == true)
        #expect(!service.environment.values.contains("token-m"), "no other instance's token")
        #expect(service.pids == 300)
        let text = ComposeFile(services: [service]).rendered()
        #expect(text.contains(#"cap_drop: ["ALL"]"#) && text.contains(#"security_opt: ["no-new-privileges:true"]"#) && text.contains("pids_limit: 300"))
    }
}
