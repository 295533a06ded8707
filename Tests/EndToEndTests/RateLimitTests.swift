import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// Rate limits end to end: the scripted model answers 429 for a key, orch moves
/// the instance to another credential file or pauses it until the reset.
@Suite(.serialized) struct RateLimitTests {
    typealias Run = TaskFlowTests.Run

    /// Everything orch wrote that a person or another program reads: logs, the event log, run state,
    /// the compose file, the server's output, git. (Instance homes, and the kept copies of refreshed logins in
    /// run/credentials/, hold the credentials by design.)
    static func expectNoSecret(in run: Run) throws {
        var written: [String: String] = ["serve output": run.serveOutput]
        let root = run.dir("state")
        for folder in ["logs", "run"] {
            for name in (try? FileManager.default.subpathsOfDirectory(atPath: "\(root)/\(folder)")) ?? [] where !name.hasPrefix("credentials/") {
                if let text = try? String(contentsOfFile: "\(root)/\(folder)/\(name)", encoding: .utf8) { written["\(folder)/\(name)"] = text }
            }
        }
        written["compose.yml"] = (try? String(contentsOfFile: "\(root)/compose.yml", encoding: .utf8)) ?? ""
        written["git"] = try git("log", "-p", "--all", "--format=%H %s%n%b", in: "\(root)/repo.git") + (try git("for-each-ref", in: "\(root)/repo.git"))
        for (file, key) in run.keys {
            for (place, text) in written {
                #expect(!text.contains(key) && !text.contains(String(key.suffix(20))), "the key of \(file) is in \(place)")
            }
        }
    }

    /// Issue #15 point 6: a long-lived token (the manager's), a claude.ai login (worker-1's) and API keys run the demo;
    /// none of their secrets is in anything orch wrote, and `orch status` names each file's kind.
    @Test func everyKindOfCredentialRunsTheDemoAndNoSecretIsWrittenAnywhere() async throws {
        let run = try await Run(everyKind: true)
        let serve = try run.startServe()
        try await withCleanup {
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 300)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            let status = try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state")])
            for (file, kind) in [("0.json", "oauthToken"), ("1.json", "oauth"), ("2.json", "apiKey")] {
                #expect(status.stdout.split(separator: "\n").contains { $0.hasPrefix(file) && $0.contains(kind) }, "\(status.stdout)")
            }
            try await run.stop(serve)
            try Self.expectNoSecret(in: run)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    /// Issue #15 point 1 end to end: worker-1 runs on a claude.ai login; mid-run its home's copy is rewritten as the
    /// client rewrites it on a refresh; then its login hits the limit and it moves to the spare file. The file it
    /// left, and orch's kept copy (what its next holder gets), hold the refreshed login.
    @Test func aLoginRefreshedInAHomeGoesBackToItsFileWhenTheInstanceMovesOff() async throws {
        let run = try await Run(taskSeconds: 2, spareCredentials: 1, everyKind: true)
        let serve = try run.startServe()
        try await withCleanup {
            let working = try await ServeTests.waitUntil(120) {
                ServeTests.events(run.dir).contains { $0["event"] == "delivered" && $0["instance"] == "worker-1" }
            }
            #expect(working)
            let refreshed = "sk-ant-oat-refreshed-\(UUID().uuidString.prefix(8))"
            let expires = Int(Date().timeIntervalSince1970 * 1000) + 3 * 3_600_000
            let login = #"{"claudeAiOauth": {"accessToken": "\#(refreshed)", "refreshToken": "rt-\#(refreshed)", "expiresAt": \#(expires), "scopes": ["user:inference"], "subscriptionType": "max"}}"#
            try Data(login.utf8).write(to: URL(fileURLWithPath: run.dir("state", "homes", "worker-1", ".claude", ".credentials.json")))
            let until = Int(Date().timeIntervalSince1970) + 3600
            for key in [run.keys["1.json"]!, refreshed] { await run.server.limit(key: key, until: until) }
            let rotated = try await ServeTests.waitUntil(120) { ServeTests.events(run.dir).contains { $0["event"] == "rotated" } }
            #expect(rotated, "\(run.serveOutput)")
            let source = try String(contentsOfFile: run.dir("creds", "1.json"), encoding: .utf8)
            #expect(source.contains("rt-\(refreshed)"), "written back: \(source)")
            let copies = try FileManager.default.contentsOfDirectory(atPath: run.dir("state", "run", "credentials"))
            let kept = try copies.map { try String(contentsOfFile: run.dir("state", "run", "credentials", $0), encoding: .utf8) }
            #expect(copies.count == 1 && copies[0].hasPrefix("1.json-") && kept.first?.contains("rt-\(refreshed)") == true)
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 240)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try await run.stop(serve)
            try Self.expectNoSecret(in: run)
            #expect(!run.serveOutput.contains(refreshed))
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    /// Issue #15 point 4 end to end: worker-1's claude.ai login reports its 5-hour window climbing past 95% (the
    /// scripted model's headers, the client's status line); at its next Stop between tasks it moves to the spare file:
    /// no StopFailure, no limit hit, no task handed over twice, every task merged once.
    @Test func aLoginNearItsLimitMovesAtAStopBetweenTasksBeforeHittingIt() async throws {
        let run = try await Run(taskSeconds: 2, spareCredentials: 1, everyKind: true)
        let serve = try run.startServe()
        try await withCleanup {
            let working = try await ServeTests.waitUntil(120) {
                ServeTests.events(run.dir).contains { $0["event"] == "delivered" && $0["instance"] == "worker-1" }
            }
            #expect(working)
            let key = run.keys["1.json"]!
            let reset = Int(Date().timeIntervalSince1970) + 3 * 3600
            await run.server.report(key: key, fiveHour: 0.6, sevenDay: 0.2, resetsAt: reset)
            try await Task.sleep(for: .seconds(1))
            await run.server.report(key: key, fiveHour: 0.96, sevenDay: 0.3, resetsAt: reset)
            let moved = try await ServeTests.waitUntil(120) {
                ServeTests.events(run.dir).contains { $0["event"] == "rotated" && $0["reason"] == "before-limit" }
            }
            #expect(moved, "\(ServeTests.events(run.dir).filter { ["near-limit", "rotated", "rate-limited"].contains($0["event"]) })\n\(run.serveOutput)")
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 240)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            let events = ServeTests.events(run.dir)
            let near = try #require(events.first { $0["event"] == "near-limit" })
            #expect(near["instance"] == "worker-1" && near["file"] == "1.json" && Int(near["percent"] ?? "") ?? 0 >= 95, "\(near)")
            let move = try #require(events.first { $0["event"] == "rotated" })
            #expect(move["from"] == "1.json" && move["to"] == "4.json" && move["reason"] == "before-limit", "\(move)")
            #expect(!events.contains { $0["event"] == "StopFailure" || $0["event"] == "rate-limited" }, "the limit was never hit")
            let delivered = events.filter { $0["event"] == "delivered" }.compactMap { $0["task"] }
            #expect(delivered.count == Set(delivered).count, "no task handed over twice: \(delivered)")
            // How long the move took: from the Stop it answered to the session back on the new file.
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let movedAt = try #require(move["time"].flatMap(formatter.date(from:)))
            let stop = events.last { $0["event"] == "Stop" && $0["instance"] == "worker-1" && ($0["time"].flatMap(formatter.date(from:)) ?? .distantFuture) <= movedAt }
            let back = events.first { $0["event"] == "SessionStart" && $0["instance"] == "worker-1" && $0["source"] == "resume" }
            if let from = stop?["time"].flatMap(formatter.date(from:)), let to = back?["time"].flatMap(formatter.date(from:)) {
                print("before-limit move: Stop to the session on the new file \(String(format: "%.2f", to.timeIntervalSince(from))) s")
            }
            try await run.stop(serve)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    @Test func aWorkersKeyAnswering429MovesItToASpareFileWithinTenSecondsAndItsTaskStillMerges() async throws {
        let run = try await Run(taskSeconds: 2, spareCredentials: 1)
        let serve = try run.startServe()
        try await withCleanup {
            // Once worker-1 is on a task, its key (file 1.json) hits the limit.
            let working = try await ServeTests.waitUntil(120) {
                ServeTests.events(run.dir).contains { $0["event"] == "delivered" && $0["instance"] == "worker-1" }
            }
            #expect(working)
            await run.server.limit(key: run.keys["1.json"]!, until: Int(Date().timeIntervalSince1970) + 3600)
            let rotated = try await ServeTests.waitUntil(120) { ServeTests.events(run.dir).contains { $0["event"] == "rotated" } }
            #expect(rotated, "\(run.serveOutput)")
            let events = ServeTests.events(run.dir)
            let limited = try #require(events.first { $0["event"] == "rate-limited" })
            let move = try #require(events.first { $0["event"] == "rotated" })
            #expect(limited["instance"] == "worker-1" && limited["file"] == "1.json")
            #expect(move["from"] == "1.json" && move["to"] == "4.json")
            #expect(events.filter { $0["event"] == "rate-limited" }.count == 1, "several signals of one limit, one rotation")
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let started = try #require(limited["time"].flatMap(formatter.date(from:)))
            let resumed = try await ServeTests.waitUntil(30) {
                ServeTests.events(run.dir).contains {
                    $0["event"] == "SessionStart" && $0["instance"] == "worker-1" && $0["source"] == "resume"
                        && ($0["time"].flatMap(formatter.date(from:)).map { $0 > started } ?? false)
                }
            }
            #expect(resumed)
            let back = ServeTests.events(run.dir).first {
                $0["event"] == "SessionStart" && $0["instance"] == "worker-1" && ($0["time"].flatMap(formatter.date(from:)).map { $0 > started } ?? false)
            }
            let seconds = back?["time"].flatMap(formatter.date(from:)).map { $0.timeIntervalSince(started) } ?? .infinity
            #expect(seconds < 10, "worker-1 was back on another file after \(seconds) s")

            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 240)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            try run.expectEveryTaskMergedOnce()
            // The limit is kept for a later server: names and times only.
            let kept = try String(contentsOfFile: run.dir("state", "run", "credentials.json"), encoding: .utf8)
            #expect(kept.contains("1.json") && kept.contains("limitedUntil"))
            let mode = try FileManager.default.attributesOfItem(atPath: run.dir("state", "run", "credentials.json"))[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let status = try TestSupport.run(orchExecutable, ["status", "--state", run.dir("state"), "--json"])
            let report = try JSONDecoder().decode(StatusSchema.self, from: Data(status.stdout.utf8))
            let limitedFile = try #require(report.credentials.first { $0.file == "1.json" })
            #expect(limitedFile.limitedUntil != nil && limitedFile.rotations == 1 && limitedFile.instance == nil)
            #expect(report.credentials.first { $0.file == "4.json" }?.instance == "worker-1")
            #expect(report.instances.first { $0.name == "worker-1" }?.credential == "4.json")
            try await run.stop(serve)
            try Self.expectNoSecret(in: run)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }

    @Test func everyKeyLimitedPausesTheInstancesUntilTheResetThenTheyResumeAndFinish() async throws {
        let run = try await Run(taskSeconds: 2, rateLimitSeconds: 20)
        let serve = try run.startServe()
        try await withCleanup {
            let planned = try await ServeTests.waitUntil(120) { (run.ledger()?.tasks.count ?? 0) == run.taskCount }
            #expect(planned)
            let reset = Int(Date().timeIntervalSince1970) + 20
            for key in run.keys.values { await run.server.limit(key: key, until: reset) }
            let paused = try await ServeTests.waitUntil(90) {
                Set(ServeTests.events(run.dir).filter { $0["event"] == "paused" }.compactMap { $0["instance"] }).count >= 3
            }
            #expect(paused, "\(ServeTests.events(run.dir).filter { ["rate-limited", "paused", "rotated"].contains($0["event"]) })")
            #expect(!ServeTests.events(run.dir).contains { $0["event"] == "rotated" }, "no file was free")
            let finished = try await run.waitUntilMerged(atLeast: run.taskCount, seconds: 240)
            #expect(finished, "\(String(describing: run.ledger()?.tasks.map { "\($0.id) \($0.state)" }))\n\(run.serveOutput)")
            let resumed = ServeTests.events(run.dir).filter { $0["event"] == "resumed" }
            #expect(resumed.count >= 3, "\(resumed)")
            try run.expectEveryTaskMergedOnce()
            #expect(ServeTests.events(run.dir).contains { $0["event"] == "notified" && $0["notices"]?.contains("paused:") == true }, "the manager was told")
            try await run.stop(serve)
            try Self.expectNoSecret(in: run)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }
}
