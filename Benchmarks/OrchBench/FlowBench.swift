import Foundation
import OrchCore
import ScriptedModel

/// Issue #4's flow figures, from a run of the demo project under `orch serve`
/// (real Claude Code in containers, the demo's scripted model, each task given
/// `taskSeconds` of work): the delay from a worker's Stop to the first command
/// of its next task, and each worker's utilisation (time on tasks over the
/// time from its first task's start to its last task's end). `hooks` is `channel.hooks`: with `http` the
/// workers run `orch checkout` before each task, as they are told, and that turn counts in the delay.
func benchmarkFlow(work: String, packageRoot: String, taskSeconds: Int = 5, hooks: String = "command") async throws {
    let origin = "\(work)/flow-origin"
    sh("cp", ["-r", "\(packageRoot)/demo/project", origin])
    git("init", "-q", "-b", "main", in: origin)
    git("add", "-A", in: origin)
    git("commit", "-q", "-m", "seed", in: origin)
    let instances = ["manager", "worker-1", "worker-2", "worker-3"]
    try FileManager.default.createDirectory(atPath: "\(work)/flow-creds", withIntermediateDirectories: true)
    for (index, instance) in instances.enumerated() {
        try #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-bench-\#(instance)-0000"}}"#.write(toFile: "\(work)/flow-creds/\(index).json", atomically: true, encoding: .utf8)
    }
    var script = try ModelScript(json: Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/demo/model.json")), file: "demo/model.json")
    // Each task's first command marks its start in the instance's HOME (mounted at the same path), then works a while.
    script.rules["*"]!.insert(ModelRule(match: "Orch-Task: (T-[0-9]+)", bash: "echo \"$1 $(date +%s.%N)\" >> \"$HOME/task-starts\"; sleep \(taskSeconds)"), at: 0)
    if hooks == "http" { script.rules["*"]!.insert(ModelRule(match: "Run `orch checkout` first", bash: "orch checkout"), at: 0) }
    let server = try await ScriptedModelServer.start(script)
    let config = "\(work)/flow-config"
    try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
    try """
        {"repositoryUrl": "\(origin)", "workerCount": 3, "claudeConfigs": "\(work)/flow-creds/*.json",
         "image": "orch-claude-test:latest", "network": "host", "channel": {"hooks": "\(hooks)"},
         "env": {"ANTHROPIC_BASE_URL": "\(server.baseURL)"}}
        """.write(toFile: "\(config)/orchestrator.json", atomically: true, encoding: .utf8)
    let state = "\(work)/flow-state"
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: orchBinary)
    serve.arguments = ["serve", "--config", config, "--state", state]
    serve.standardOutput = FileHandle.nullDevice
    serve.standardError = FileHandle.nullDevice
    let started = Date()
    try serve.run()
    let total = 9
    var merged = 0
    while merged < total && Date().timeIntervalSince(started) < 600 {
        try await Task.sleep(for: .seconds(1))
        merged = (1...3).map { worker in
            sh("git", ["-C", "\(state)/repo.git", "show", "main:WORKER_\(worker)_TASK_LIST.md"], allowFailure: true)
                .split(separator: "\n").filter { $0.hasPrefix("- [x] ") }.count
        }.reduce(0, +)
    }
    let wall = Date().timeIntervalSince(started)
    kill(serve.processIdentifier, SIGTERM)
    serve.waitUntilExit()
    await server.stop()

    let (delays, utilisation) = flowFigures(state: state)
    print("")
    print("| figure | value | goal |")
    print("|---|---:|---|")
    print(String(format: "| demo run (hooks: %@): tasks merged / wall time | %d / %.0f s | |", hooks, merged, wall))
    print(String(format: "| Stop to the next task's first command, p50 (s) | %.2f | |", percentile(delays, 0.5)))
    print(String(format: "| Stop to the next task's first command, max (s) | %.2f | under 1 |", delays.max() ?? .nan))
    print("| worker utilisation (time on tasks / first start to last end), \(taskSeconds) s of work a task | \(utilisation.joined(separator: ", ")) | at least 90% |")
}

/// From a run's event log and the task starts its workers wrote: each delay from a Stop to the next task's first
/// command, and each worker's utilisation.
func flowFigures(state: String) -> (delays: [Double], utilisation: [String]) {
    // The event log: each worker's Stop hook times.
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let text = (try? String(contentsOfFile: "\(state)/logs/events.jsonl", encoding: .utf8)) ?? ""
    var stops: [String: [Double]] = [:]
    for line in text.split(separator: "\n") {
        guard let entry = try? JSONDecoder().decode([String: String].self, from: Data(line.utf8)),
              entry["event"] == "Stop", let instance = entry["instance"], let time = entry["time"].flatMap(formatter.date(from:)) else { continue }
        stops[instance, default: []].append(time.timeIntervalSince1970)
    }
    var delays: [Double] = []
    var utilisation: [String] = []
    for worker in 1...3 {
        let name = "worker-\(worker)"
        let starts = ((try? String(contentsOfFile: "\(state)/homes/\(name)/task-starts", encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.sorted()
        let workerStops = stops[name, default: []].sorted()
        var busy = 0.0
        var span = 0.0
        for (index, start) in starts.enumerated() {
            // The task ends at the first Stop after its start; the next task's start follows that Stop.
            guard let end = workerStops.first(where: { $0 > start }) else { continue }
            busy += end - start
            if index + 1 < starts.count, starts[index + 1] > end { delays.append(starts[index + 1] - end) }
        }
        if let first = starts.first, let last = starts.last, let end = workerStops.first(where: { $0 > last }) { span = end - first }
        utilisation.append(String(format: "%@ %.1f%%", name, span > 0 ? busy / span * 100 : .nan))
    }
    return (delays, utilisation)
}
