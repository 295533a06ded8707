import Foundation
import OrchRuntime
import Testing

@Suite struct ComposeFileTests {
    @Test func rendersServicesWithQuotedValues() {
        let file = ComposeFile(services: [
            .init(name: "worker-1", image: "orch-claude-test:latest", user: "1000:1000", workingDirectory: "/s/worktrees/worker-1",
                  environment: ["ORCH_INSTANCE": "worker-1", "ODD": "a \"quoted\": value"],
                  mounts: [.init("/s/worktrees/worker-1"), .init("/repo/hooks", at: "/opt/orch/hooks", readOnly: true)],
                  network: "host", cpus: 2, memory: "4g", pids: 512, command: ["claude", "--resume", "abc"]),
            .init(name: "manager", image: "img", network: "orchnet"),
        ])
        let text = file.rendered()
        #expect(text.contains("""
              "worker-1":
                image: "orch-claude-test:latest"
                user: "1000:1000"
                working_dir: "/s/worktrees/worker-1"
                init: true
                stdin_open: true
                tty: true
                network_mode: "host"
                cpus: 2.0
                mem_limit: "4g"
                pids_limit: 512
                cap_drop: ["ALL"]
                security_opt: ["no-new-privileges:true"]
                read_only: true
                tmpfs: ["/tmp"]
                environment:
                  "ODD": "a \\"quoted\\": value"
                  "ORCH_INSTANCE": "worker-1"
                volumes:
                  - "/s/worktrees/worker-1:/s/worktrees/worker-1"
                  - "/repo/hooks:/opt/orch/hooks:ro"
                command: ["claude", "--resume", "abc"]
            """))
        #expect(text.contains("    networks: [\"orchnet\"]"))
        #expect(ComposeFile(services: [.init(name: "s", image: "i", command: ["sh", "-c", "echo $HOME"])]).rendered()
            .contains(#"command: ["sh", "-c", "echo $$HOME"]"#), "compose would interpolate a single $")
        #expect(text.hasSuffix("networks:\n  \"orchnet\":\n    external: true\n"))
    }
}
