import Foundation
import ScriptedModel

/// Issue #3's figures: time from starting `orch serve` until every instance's
/// Claude Code has sent its first model request, and the server's resident memory.
func benchmarkServe(workerCounts: [Int], work: String) async throws {
    let origin = "\(work)/serve-origin"
    try seedRepository(at: origin)
    let maxInstances = (workerCounts.max() ?? 1) + 1
    var keys: [String] = []
    try FileManager.default.createDirectory(atPath: "\(work)/creds", withIntermediateDirectories: true)
    for index in 0..<maxInstances {
        let key = "sk-ant-bench-\(index)-0123456789abcdef"
        keys.append(key)
        try #"{"env": {"ANTHROPIC_API_KEY": "\#(key)"}}"#.write(toFile: String(format: "\(work)/creds/%02d.json", index), atomically: true, encoding: .utf8)
    }
    let server = try await ScriptedModelServer.start(ModelScript(Dictionary(uniqueKeysWithValues: keys.map { ($0, [ModelStep.text("Ready.")]) })))
    print("")
    print("| workers | instances | ready (s) | orch serve peak RSS (MiB) |")
    print("|---:|---:|---:|---:|")
    for workers in workerCounts {
        let config = "\(work)/config-\(workers)"
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        try """
            {"repositoryUrl": "\(origin)", "workerCount": \(workers), "claudeConfigs": "\(work)/creds/*.json",
             "image": "orch-claude-test:latest", "network": "host", "env": {"ANTHROPIC_BASE_URL": "\(server.baseURL)"}}
            """.write(toFile: "\(config)/orchestrator.json", atomically: true, encoding: .utf8)
        let before = await server.requests().count
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: orchBinary)
        serve.arguments = ["serve", "--config", config, "--state", "\(work)/state-\(workers)"]
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try serve.run()
        var ready = Double.nan
        var peak = 0
        for _ in 0..<1200 {
            peak = max(peak, residentKiB(of: serve.processIdentifier))
            let answered = await server.requests().dropFirst(before).filter { $0.step == .text("Ready.") }
            if Set(answered.map(\.key)).count >= workers + 1 {
                ready = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(serve.processIdentifier, SIGTERM)
        serve.waitUntilExit()
        print(String(format: "| %d | %d | %.2f | %.1f |", workers, workers + 1, ready, Double(peak) / 1024))
    }
    await server.stop()
}

/// VmRSS of a process in KiB (0 when it is gone).
func residentKiB(of pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}
