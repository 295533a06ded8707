import Foundation
import Logging
import OrchCore
import OrchRuntime
import OrchServer

/// Issue #14's isolation figures: what an instance's own clone over the channel
/// costs. `orch checkout` against `git clone` of the same bare repository by path
/// (what a mounted repository would cost), and `orch hook Stop` with a fresh
/// commit to hand back (push, then the event) against the same hook with no
/// clone (the event alone) and against `git push` to the bare repository by path.
func benchmarkChannel(work: String, rounds: Int = 40) async throws {
    let origin = "\(work)/channel-origin"
    try seedRepository(at: origin)
    let layout = StateLayout(root: "\(work)/channel-state")
    let workspace = try Workspace.prepare(repositoryURL: origin, target: "main", workerCount: 1, layout: layout)
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let backend = GitHTTPBackend(layout: layout)
    try backend.installHooks()
    let tokens = try InstanceTokens.loadOrCreate(file: layout.tokens, instances: workspace.instances)
    let router = HookRouter(board: InstanceBoard(instances: workspace.instances), layout: layout, logger: logger)
    let (server, port) = await start(HookReceiver(address: ChannelAddress(host: "127.0.0.1", port: 0), tokens: tokens, handler: router,
                                                  git: backend, logger: logger))
    let url = "http://127.0.0.1:\(port)"
    let token = tokens.token(for: .worker(1))!
    let clone = layout.worktree(.worker(1))
    let environment = ProcessInfo.processInfo.environment.merging([
        "HOME": work, "ORCH_URL": url, "ORCH_TOKEN": token, "ORCH_INSTANCE": "worker-1", "ORCH_TARGET": "main", "ORCH_WORKTREE": clone,
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.\(url)\(GitHTTPBackend.urlPath).extraHeader",
        "GIT_CONFIG_VALUE_0": "Authorization: Bearer \(token)",
        "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x",
    ]) { $1 }

    var checkouts: [Double] = []
    var clones: [Double] = []
    for index in 0..<5 {
        sh("rm", ["-rf", clone, "\(work)/plain-\(index)"])
        try FileManager.default.createDirectory(atPath: clone, withIntermediateDirectories: true)
        checkouts.append(seconds { runQuietly(orchBinary, ["checkout"], environment: environment) } * 1000)
        clones.append(seconds { git("clone", "-q", "-b", "orch/worker-1", layout.clone, "\(work)/plain-\(index)", in: work) } * 1000)
    }
    sh("git", ["-C", "\(work)/plain-0", "checkout", "-q", "-b", "plain"])

    let stop = #"{"session_id": "bench", "hook_event_name": "Stop", "stop_hook_active": false}"#
    var handingBack: [Double] = []
    var eventOnly: [Double] = []
    var plainPush: [Double] = []
    for index in 0..<rounds {
        try "\(index)\n".write(toFile: "\(clone)/work.txt", atomically: true, encoding: .utf8)
        runQuietly("git", ["-C", clone, "commit", "-q", "-a", "-m", "work \(index)"], environment: environment, allowFailure: index == 0)
        if index == 0 { runQuietly("git", ["-C", clone, "add", "work.txt"], environment: environment); runQuietly("git", ["-C", clone, "commit", "-q", "-m", "work"], environment: environment) }
        handingBack.append(seconds { _ = hookProcess(event: "Stop", input: stop, environment: environment) } * 1000)
        var bare = environment
        bare["ORCH_WORKTREE"] = nil
        eventOnly.append(seconds { _ = hookProcess(event: "Stop", input: stop, environment: bare) } * 1000)
        try "\(index)\n".write(toFile: "\(work)/plain-0/work.txt", atomically: true, encoding: .utf8)
        git("add", "-A", in: "\(work)/plain-0")
        git("commit", "-q", "-m", "plain \(index)", in: "\(work)/plain-0")
        plainPush.append(seconds { git("push", "-q", "origin", "plain", in: "\(work)/plain-0") } * 1000)
    }
    let handedBack = sh("git", ["-C", layout.clone, "rev-parse", "orch/worker-1"]) == sh("git", ["-C", clone, "rev-parse", "HEAD"])
    precondition(handedBack, "the last Stop did not hand the branch back")
    server.cancel()

    func row(_ name: String, _ values: [Double]) -> String {
        "| \(name) | \(String(format: "%.1f", percentile(values, 0.5))) | \(String(format: "%.1f", percentile(values, 0.99))) |"
    }
    print("| figure (ms) | p50 | p99 |\n|---|---:|---:|")
    print(row("`orch checkout`: a new clone over the channel", checkouts))
    print(row("`git clone` of the bare repository by path (git CLI)", clones))
    print(row("`orch hook Stop` handing back one commit (push, then the event)", handingBack))
    print(row("`orch hook Stop` with no clone (the event alone)", eventOnly))
    print(row("`git push` of one commit to the bare repository by path (git CLI)", plainPush))
}

private func runQuietly(_ executable: String, _ arguments: [String], environment: [String: String], allowFailure: Bool = false) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { fatalError("cannot run \(executable): \(error)") }
    process.waitUntilExit()
    if process.terminationStatus != 0 && !allowFailure { fatalError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)") }
}
