import Foundation
import Logging
import OrchCore
import OrchFlow
@testable import OrchServer
import Testing
import TestSupport

/// The sync service's rounds against a bare remote over file:// (and a server
/// that never answers): pushes, the status it reports, backoff, the manager's
/// notice, and the last push on shutdown.
@Suite(.serialized) struct RemoteSyncServiceTests {
    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        private var notices: [ManagerNotice] = []
        var log: [String] { lock.withLock { lines } }
        var notified: [ManagerNotice] { lock.withLock { notices } }
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        func notify(_ notice: ManagerNotice) { lock.withLock { notices.append(notice) } }
    }

    struct Handler: LogHandler {
        let captured: Captured
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { nil } set {} }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            captured.append("\(level) \(message)")
        }
    }

    let dir = ScratchDirectory()
    let layout: StateLayout
    let captured = Captured()

    init() throws {
        try Fixtures.repository(at: dir("seed"), files: ["PROJECT_DIRECTION.md": "# x\n", "app.txt": "1\n2\n3\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("remote.git"), in: dir.path)
        layout = StateLayout(root: dir("state"))
        OrchMetrics.bootstrap()
    }

    func service(url: String? = nil, timeout: Duration = .seconds(120)) throws -> RemoteSyncService {
        let config = try OrchestratorConfig.parse(Data("""
            {"repositoryUrl": "\(url ?? "file://" + dir("remote.git"))", "workerCount": 1, "claudeConfigs": "/x/*.json"}
            """.utf8), file: "orchestrator.json")
        let sync = try RemoteSync(config: config, configFile: "orchestrator.json", layout: layout, environment: [:])
        if !FileManager.default.fileExists(atPath: layout.clone) {
            _ = try Workspace.prepare(repositoryURL: "file://" + dir("remote.git"), target: "main", workerCount: 1, layout: layout, remote: sync)
        }
        let captured = captured
        return RemoteSyncService(sync: sync, fetchSeconds: 30, notify: { captured.notify($0) }, events: nil,
                                 logger: Logger(label: "test") { _ in Handler(captured: captured) },
                                 operationTimeout: timeout, finalPushTimeout: timeout)
    }

    func tip(_ repository: String) throws -> String { try git("rev-parse", "main", in: repository) }

    @Test func aRoundPushesTheTargetAndReportsIt() async throws {
        let service = try service()
        await service.cycle(now: Date())
        #expect(try tip(dir("remote.git")) == (try tip(layout.clone)))
        let status = await service.snapshot()
        #expect(status.lastPush != nil && status.lastFetch != nil && status.lastError == nil && status.ahead == 0 && status.behind == 0, "\(status)")
        #expect(status.url == "file://" + dir("remote.git"))
        #expect(OrchMetrics.exposition().contains(#"orch_pushes_total{result="ok"}"#))
        #expect(OrchMetrics.exposition().contains(#"orch_fetches_total{result="ok"}"#))
        #expect(try git("rev-parse", "orch/worker-1", in: dir("remote.git")) == (try git("rev-parse", "orch/worker-1", in: layout.clone)))
    }

    @Test func anUnreachableRemoteIsReportedAndRetriedWhileTheTargetMovesOn() async throws {
        let service = try service()
        await service.cycle(now: Date())
        try FileManager.default.moveItem(atPath: dir("remote.git"), toPath: dir("away.git"))
        _ = try TaskAssignment(worker: 1, text: "while away", branch: "main").commit(to: .open(at: layout.clone))
        await service.cycle(now: Date().addingTimeInterval(60))
        var status = await service.snapshot()
        #expect(status.state == "unreachable" && status.lastError?.contains(dir("remote.git")) == true && status.ahead == 1, "\(status)")
        #expect(captured.log.contains { $0.hasPrefix("warning cannot fetch") && $0.contains("the run goes on locally") })
        try FileManager.default.moveItem(atPath: dir("away.git"), toPath: dir("remote.git"))
        await service.cycle(now: Date().addingTimeInterval(120))
        status = await service.snapshot()
        #expect(status.lastError == nil && status.state == nil && status.ahead == 0, "\(status)")
        #expect(try tip(dir("remote.git")) == (try tip(layout.clone)))
    }

    @Test func anUpstreamConflictIsSentToTheManagerOnceAndNothingIsForced() async throws {
        let service = try service()
        await service.cycle(now: Date())
        let person = dir("person")
        try git("clone", "-q", dir("remote.git"), person, in: dir.path)
        try "1\nperson\n3\n".write(toFile: person + "/app.txt", atomically: true, encoding: .utf8)
        try git("commit", "-qam", "person", in: person)
        try git("push", "-q", "origin", "main", in: person)
        let upstream = try tip(dir("remote.git"))
        try Fixtures.commit(["app.txt": "1\norch\n3\n"], on: "main", message: "orch", in: layout.clone)
        for round in 1...3 { await service.cycle(now: Date().addingTimeInterval(Double(round) * 60)) }
        #expect(try tip(dir("remote.git")) == upstream, "the remote's commits stay")
        let status = await service.snapshot()
        #expect(status.conflict == ["app.txt"] && status.behind == 1, "\(status)")
        #expect(captured.notified.map(\.key) == ["upstream-conflict:\(upstream)"])
        #expect(captured.notified.first?.text.contains("in: app.txt") == true)
    }

    @Test func aRemoteThatNeverAnswersTimesOutAndTheLastPushSaysItFailed() async throws {
        // A TCP server that accepts connections and never says a word.
        let silent = Process()
        silent.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        silent.arguments = ["python3", "-c", "import socket\ns=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)\nprint(s.getsockname()[1], flush=True)\nheld=[]\nwhile True: held.append(s.accept())"]
        let out = Pipe()
        silent.standardOutput = out
        try silent.run()
        defer { kill(silent.processIdentifier, SIGKILL); silent.waitUntilExit() }
        let port = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try service()  // the workspace, cloned from the file:// remote
        let service = try service(url: "http://127.0.0.1:\(port)/r.git", timeout: .seconds(1))
        await service.cycle(now: Date())
        let status = await service.snapshot()
        #expect(status.state == "unreachable" && status.lastError?.contains("gave no answer within 1 s") == true, "\(status)")
        await service.cycle(now: Date().addingTimeInterval(60))
        let again = await service.snapshot()
        #expect(again.lastError?.contains("has not answered orch's previous fetch or push yet") == true, "one stuck thread, not one per round: \(again)")
        await service.finalPush()
        #expect(captured.log.contains { $0.hasPrefix("error could not push main to http://127.0.0.1:\(port)/r.git before exiting") }, "\(captured.log)")
    }
}
