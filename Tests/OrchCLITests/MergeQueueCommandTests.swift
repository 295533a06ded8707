import Foundation
import Testing
import TestSupport

/// `orch merge --config` with a `mergeCheck` and no server running: the run's clone, gated in a container
/// from the test image (scripts/test starts dockerd and builds it).
@Suite(.serialized) struct MergeQueueCommandTests {
    /// A run's config and state: a clone with worker-1's branch holding `value.txt`.
    func run(_ dir: ScratchDirectory, check: String, value: String) throws {
        try Fixtures.repository(at: dir("seed"), files: ["value.txt": "good\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("state", "repo.git"), in: dir.path)
        _ = try TestSupport.run(orchExecutable, ["assign", "--worker", "1", "--repo", dir("state", "repo.git"), "Set the value"])
        try Fixtures.commit(["value.txt": value], on: "orch/worker-1", message: "value\n\nOrch-Task: T-0001", in: dir("state", "repo.git"))
        try Fixtures.write(["creds/1.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-test-0123456789abcdef"}}"#, "config/orchestrator.json": """
            {"repositoryUrl": "\(dir("seed"))", "workerCount": 1, "claudeConfigs": "\(dir("creds"))/*.json", "image": "orch-claude-test:latest",
             "network": "none", "mergeCheck": {"command": "\(check)", "timeout": 60}}
            """], in: dir.path)
    }

    func dockerReady() throws -> Bool {
        guard (try? TestSupport.run("docker", ["image", "inspect", "orch-claude-test:latest"]))?.status == 0 else {
            Issue.record("needs a Docker engine and orch-claude-test:latest: scripts/test runs scripts/start-dockerd and scripts/build-test-image")
            return false
        }
        return true
    }

    @Test func aFailingCheckExitsOneAndLeavesTheTargetThenAPassingOneLands() throws {
        guard try dockerReady() else { return }
        let dir = ScratchDirectory()
        try run(dir, check: "echo value is $(cat value.txt); grep -q good value.txt", value: "bad\n")
        let repo = dir("state", "repo.git")
        let before = try git("rev-parse", "main", in: repo)
        let failed = try TestSupport.run(orchExecutable, ["merge", "--config", dir("config"), "--state", dir("state"), "worker-1"])
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("orch/worker-1: not merged, the merge check failed"), "\(failed.stdout)")
        #expect(failed.stderr.contains("value is bad"), "\(failed.stderr)")
        #expect(try git("rev-parse", "main", in: repo) == before, "main unchanged")
        #expect(failed.stdout.contains("orch hands the output to worker-1 to fix"), "\(failed.stdout)")
        // The event log has the check; the status (server down, from the config) shows the failure.
        let events = try String(contentsOfFile: dir("state", "logs", "events.jsonl"), encoding: .utf8)
        #expect(events.contains(#""event":"merge-check""#) && events.contains(#""result":"failed""#))
        let status = try TestSupport.run(orchExecutable, ["status", "--config", dir("config"), "--state", dir("state")])
        #expect(status.stdout.contains("last failure  orch/worker-1"), "\(status.stdout)")
        try Fixtures.commit(["value.txt": "good\n"], on: "orch/worker-1", message: "fix", in: repo)
        let passed = try TestSupport.run(orchExecutable, ["merge", "--config", dir("config"), "--state", dir("state"), "worker-1"])
        #expect(passed.status == 0 && passed.stdout.contains("orch/worker-1: fast-forwarded main"), "\(passed.stdout)\(passed.stderr)")
        // Queued with --enqueue and no server: it waits for the next orch merge (or server) to gate it.
        let queued = try TestSupport.run(orchExecutable, ["merge", "--config", dir("config"), "--state", dir("state"), "--enqueue", "worker-1"])
        #expect(queued.status == 0 && queued.stdout.contains("queued for the merge check"), "\(queued.stdout)")
    }

    @Test func aCommandTheImageLacksIsRefusedNamingTheFieldAndChangesNothing() throws {
        guard try dockerReady() else { return }
        let dir = ScratchDirectory()
        try run(dir, check: "no-such-test-runner --all", value: "bad\n")
        let before = try git("for-each-ref", in: dir("state", "repo.git"))
        let refused = try TestSupport.run(orchExecutable, ["merge", "--config", dir("config"), "--state", dir("state"), "worker-1"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("orchestrator.json: field mergeCheck.command: `no-such-test-runner` is not found in the image orch-claude-test:latest"),
                "\(refused.stderr)")
        #expect(try git("for-each-ref", in: dir("state", "repo.git")) == before)
    }
}
