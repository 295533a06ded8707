import Foundation
import GitKit
import Logging
import OrchCore
import OrchServer

/// Issue #12's figures: how long a change of the target takes to reach the
/// user's remote through `orch serve`'s sync service, against one `git push`
/// of a commit over the same transport; and how a burst of changes is coalesced.
func benchmarkPush(work: String, packageRoot: String, changes: Int = 20, burst: Int = 50) async throws {
    let servers = "\(work)/remotes"
    sh("\(packageRoot)/scripts/git-test-remotes", ["start", servers])
    defer { sh("\(packageRoot)/scripts/git-test-remotes", ["stop", servers]) }
    let env = Dictionary(try String(contentsOfFile: "\(servers)/remotes.env", encoding: .utf8).split(separator: "\n").compactMap { line in
        line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
    }) { $1 }
    print("| transport | change → on the remote, p50 (ms) | p90 (ms) | `git push` of one commit, p50 (ms) | \(burst) changes in a burst → pushes | last change → on the remote (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for transport in ["file", "ssh"] {
        let seed = "\(work)/\(transport)-seed"
        try seedRepository(at: seed)
        let bare = "\(servers)/repos/\(transport).git"
        sh("git", ["clone", "-q", "--bare", seed, bare])
        let url = transport == "file" ? "file://\(bare)" : "\(env["SSH_URL_PREFIX"]!)/\(transport).git"
        let remote = transport == "file" ? "" : #", "remote": {"sshKey": "\#(env["SSH_KEY"]!)", "knownHosts": "\#(env["KNOWN_HOSTS"]!)"}"#
        let config = try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "\#(url)", "workerCount": 2, "claudeConfigs": "/x", "pushWorkerBranches": false\#(remote)}"#.utf8), file: "bench")
        let layout = StateLayout(root: "\(work)/\(transport)-state")
        let sync = try RemoteSync(config: config, configFile: "bench", layout: layout)
        _ = try Workspace.prepare(repositoryURL: url, target: "main", workerCount: 2, layout: layout, remote: sync)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let counter = PushCounter()
        let service = RemoteSyncService(sync: sync, fetchSeconds: 3600, notify: { _ in }, events: nil, logger: logger)
        let running = Task { try await service.run() }
        let clone = try Repository.open(at: layout.clone)
        let remoteRepository = try Repository.open(at: bare)
        func waitForRemote() async throws -> Double {
            let tip = try clone.branchTip("main")
            let start = DispatchTime.now().uptimeNanoseconds
            while try remoteRepository.branchTip("main") != tip { try await Task.sleep(for: .milliseconds(2)) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        _ = try await waitForRemote()
        var latencies: [Double] = []
        for index in 0..<changes {
            _ = try TaskAssignment(worker: 1, text: "Change \(index)", branch: "main").commit(to: clone)
            latencies.append(try await waitForRemote())
        }
        let before = counter.pushes()
        for index in 0..<burst {
            _ = try TaskAssignment(worker: 2, text: "Burst \(index)", branch: "main").commit(to: clone)
        }
        let settle = try await waitForRemote()
        try await Task.sleep(for: .milliseconds(600))
        let pushes = counter.pushes() - before
        running.cancel()
        // The git CLI: one commit pushed from a clone, over the same transport.
        let cli = "\(work)/\(transport)-cli"
        let sshCommand = "ssh -i \(env["SSH_KEY"]!) -o UserKnownHostsFile=\(env["KNOWN_HOSTS"]!) -o IdentitiesOnly=yes -o BatchMode=yes"
        sh("env", ["GIT_SSH_COMMAND=\(sshCommand)", "git", "clone", "-q", url, cli])
        var cliTimes: [Double] = []
        for index in 0..<changes {
            try "\(index)\n".write(toFile: "\(cli)/cli.txt", atomically: true, encoding: .utf8)
            git("commit", "-qam", "cli \(index)", in: cli, allowFailure: true)
            if index == 0 { git("add", "cli.txt", in: cli); git("commit", "-qm", "cli", in: cli) }
            cliTimes.append(seconds { sh("env", ["GIT_SSH_COMMAND=\(sshCommand)", "git", "push", "-q", "origin", "HEAD:refs/heads/cli"], in: cli) } * 1000)
        }
        print(String(format: "| %@ | %.1f | %.1f | %.1f | %d | %.1f |", transport, percentile(latencies, 0.5), percentile(latencies, 0.9),
                     percentile(cliTimes, 0.5), pushes, settle))
    }
}

/// Reads `orch_pushes_total{result="ok"}` from the metrics text.
struct PushCounter {
    init() { OrchMetrics.bootstrap() }

    func pushes() -> Int {
        let line = OrchMetrics.exposition().split(separator: "\n").first { $0.hasPrefix(#"orch_pushes_total{result="ok"}"#) }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? 0) } ?? 0
    }
}
