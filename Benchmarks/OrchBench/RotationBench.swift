import Foundation
import OrchCore
import ScriptedModel

/// Issue #15's rotation figures from a run of the demo project under `orch serve` (real Claude Code in containers, the
/// scripted model): worker-1 on a claude.ai login whose 5-hour window the model reports at 96% moves at a Stop between
/// tasks (before its limit), and worker-2's API key answering 429 moves at its StopFailure (the hard limit). Each
/// figure is the time from the event orch acted on to the instance's session back on its new file.
func benchmarkRotation(work: String, packageRoot: String, taskSeconds: Int = 3) async throws {
    let origin = "\(work)/rotation-origin"
    sh("cp", ["-r", "\(packageRoot)/demo/project", origin])
    git("init", "-q", "-b", "main", in: origin)
    git("add", "-A", in: origin)
    git("commit", "-q", "-m", "seed", in: origin)
    try FileManager.default.createDirectory(atPath: "\(work)/rotation-creds", withIntermediateDirectories: true)
    var keys: [String] = []
    for index in 0..<6 {
        let key = "sk-ant-bench-\(index)-\(UUID().uuidString.prefix(8))"
        keys.append(key)
        let text = index == 1
            ? #"{"claudeAiOauth": {"accessToken": "\#(key)", "refreshToken": "rt", "expiresAt": 4102444800000, "scopes": ["user:inference"]}}"#
            : #"{"env": {"ANTHROPIC_API_KEY": "\#(key)"}}"#
        try text.write(toFile: "\(work)/rotation-creds/\(index).json", atomically: true, encoding: .utf8)
    }
    var script = try ModelScript(json: Data(contentsOf: URL(fileURLWithPath: "\(packageRoot)/demo/model.json")), file: "demo/model.json")
    script.rules["*"]!.insert(ModelRule(match: "Orch-Task: (T-[0-9]+)", bash: "sleep \(taskSeconds)"), at: 0)
    let server = try await ScriptedModelServer.start(script)
    let config = "\(work)/rotation-config"
    try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
    try """
        {"repositoryUrl": "\(origin)", "workerCount": 3, "claudeConfigs": "\(work)/rotation-creds/*.json",
         "image": "orch-claude-test:latest", "network": "host", "dashboardPort": 0,
         "env": {"ANTHROPIC_BASE_URL": "\(server.baseURL)"}}
        """.write(toFile: "\(config)/orchestrator.json", atomically: true, encoding: .utf8)
    let state = "\(work)/rotation-state"
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: orchBinary)
    serve.arguments = ["serve", "--config", config, "--state", state]
    serve.standardOutput = FileHandle.nullDevice
    serve.standardError = FileHandle.nullDevice
    try serve.run()
    defer { kill(serve.processIdentifier, SIGTERM); serve.waitUntilExit() }
    let log = EventLogFile(path: "\(state)/logs/events.jsonl")
    guard await log.waitFor(seconds: 120, { $0["event"] == "delivered" && $0["instance"] == "worker-2" }) != nil else { fatalError("no task started") }
    let reset = Int(Date().timeIntervalSince1970) + 3 * 3600
    await server.report(key: keys[1], fiveHour: 0.96, sevenDay: 0.3, resetsAt: reset)
    await server.limit(key: keys[2], until: reset)
    let before = await log.waitFor(seconds: 120) { $0["event"] == "rotated" && $0["reason"] == "before-limit" }
    let hard = await log.waitFor(seconds: 120) { $0["event"] == "rotated" && $0["instance"] == "worker-2" }
    // Each back on its new file: a resumed session after its move.
    for instance in ["worker-1", "worker-2"] {
        _ = await log.waitFor(seconds: 60) { $0["event"] == "SessionStart" && $0["instance"] == instance && $0["source"] == "resume" }
    }
    await server.stop()
    print("")
    print("| figure | value | goal |")
    print("|---|---:|---|")
    for (label, move, instance, trigger) in [("before the limit (96% reported): the Stop it answered", before, "worker-1", "Stop"),
                                             ("hard limit (429): the StopFailure", hard, "worker-2", "StopFailure")] {
        let seconds = move.flatMap { log.seconds(from: trigger, to: "SessionStart", of: instance, around: $0) }
        print(String(format: "| rotation, %@ → the session back on the new file (s) | %.2f | under 3 |", label, seconds ?? .nan))
        if seconds == nil {
            let kinds: Set = ["Stop", "SessionStart", "near-limit", "rotated", "StopFailure", "rate-limited", "delivered"]
            FileHandle.standardError.write(Data("no figure for \(instance): \(log.entries().filter { $0["instance"] == instance && kinds.contains($0["event"] ?? "") })\n".utf8))
        }
    }
}

/// The server's event log, read as it grows.
struct EventLogFile {
    let path: String

    func entries() -> [[String: String]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
    }

    func waitFor(seconds: Double, _ match: ([String: String]) -> Bool) async -> [String: String]? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let found = entries().first(where: match) { return found }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// From the last `trigger` event of the instance at or before `event` to its first `outcome` event after it.
    func seconds(from trigger: String, to outcome: String, of instance: String, around event: [String: String]) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let time = { (entry: [String: String]) in entry["time"].flatMap(formatter.date(from:)) }
        guard let moved = time(event) else { return nil }
        let mine = entries().filter { $0["instance"] == instance }
        guard let start = mine.last(where: { $0["event"] == trigger && (time($0) ?? .distantFuture) <= moved }).flatMap(time),
              let end = mine.first(where: { $0["event"] == outcome && (time($0) ?? .distantPast) > moved }).flatMap(time) else { return nil }
        return end.timeIntervalSince(start)
    }
}
