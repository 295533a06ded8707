import Foundation
import Logging
import OrchCore
import Testing
import TestSupport
@testable import OrchFlow
@testable import OrchServer

/// The credential rotator with real tmux sessions standing in for containers:
/// a limited instance moves to a free file and is started again; with none
/// free it is paused, the manager hears of it, and it comes back once a limit resets.
@Suite struct CredentialRotatorTests {
    /// A manager and worker-1 on three OAuth files, running as `sleep` in tmux.
    struct Rig {
        let setup: TaskFlowUnitTests.Setup
        let shell: ShellInstances
        let board: InstanceBoard
        let supervisor: InstanceSupervisor
        let flow: TaskFlow
        let rotator: CredentialRotator

        init(policy: HealthPolicy = HealthPolicy(), keepsLogins: Bool = false) throws {
            setup = try TaskFlowUnitTests.Setup()
            let dir = setup.dir
            var files: [CredentialFile] = []
            for name in ["a", "b", "c"] {
                let path = dir("creds/\(name).json")
                try Fixtures.write(["creds/\(name).json": #"{"claudeAiOauth": {"accessToken": "sk-ant-oat-\#(name.uppercased())", "refreshToken": "r", "expiresAt": 1}}"#], in: dir.path)
                files.append(try CredentialFile.load(path: path))
            }
            let instances: [InstanceName] = [.manager, .worker(1)]
            let pool = try CredentialPool.load(files: files, instances: instances, stateFile: setup.layout.credentialState)
            for instance in instances {
                // The fleet writes the homes before any instance starts.
                try InstanceHome(instance: instance, layout: setup.layout).write(credential: pool.file(of: instance)!, prompt: "You are \(instance).")
            }
            shell = ShellInstances([.manager: "sleep 600", .worker(1): "sleep 600"])
            board = InstanceBoard(instances: instances)
            let events = try EventLog(file: setup.layout.events)
            supervisor = InstanceSupervisor(launch: shell.launch, board: board, policy: InstanceSupervisorTests.policy(), layout: nil, events: events, logger: .quiet)
            flow = setup.flow()
            rotator = CredentialRotator(pool: pool, supervisor: supervisor, flow: flow, board: board, layout: setup.layout,
                                        policy: policy, events: events, logger: .quiet,
                                        custody: keepsLogins ? CredentialCustody(layout: setup.layout) : nil)
        }
    }

    /// Issue #15 point 1: a refresh played in worker-1's home during the run, then a rotation: the file it leaves
    /// holds the refreshed login (written back), and so does that file's next holder.
    @Test func aRefreshedLoginGoesBackToItsFileAndToItsNextHolder() async throws {
        let rig = try Rig(keepsLogins: true)
        let (setup, supervisor, rotator) = (rig.setup, rig.supervisor, rig.rotator)
        try await withCleanup {
            _ = try await supervisor.launchInstances()
            let left = try #require(await rotator.snapshot.file(of: .worker(1)))
            let refreshed = #"{"claudeAiOauth": {"accessToken": "sk-ant-oat-FRESH", "refreshToken": "r-fresh", "expiresAt": 99}}"#
            try Data(refreshed.utf8).write(to: URL(fileURLWithPath: setup.layout.home(.worker(1)) + "/.claude/.credentials.json"))
            let now = Date()
            await rotator.rateLimited(.worker(1), message: "You've hit your limit · resets 6:46pm (UTC)", transcriptPath: nil, now: now)
            #expect(await rotator.snapshot.file(of: .worker(1)) != left)
            let source = try String(contentsOfFile: left.path, encoding: .utf8)
            #expect(source.contains("r-fresh"), "the refreshed login is written back to \(left.name): \(source)")
            // A day on the file is free again: the manager, limited, is moved onto it and gets the refreshed login.
            await rotator.rateLimited(.manager, message: "You've hit your limit · resets 6:46pm (UTC)", transcriptPath: nil,
                                      now: now.addingTimeInterval(86_400))
            #expect(await rotator.snapshot.file(of: .manager) == left)
            let given = try String(contentsOfFile: setup.layout.home(.manager) + "/.claude/.credentials.json", encoding: .utf8)
            #expect(given.contains("r-fresh"), "\(given)")
            // A refresh seen after a hook, with no move: kept at once.
            let later = #"{"claudeAiOauth": {"accessToken": "sk-ant-oat-LATER", "refreshToken": "r-later", "expiresAt": 200}}"#
            try Data(later.utf8).write(to: URL(fileURLWithPath: setup.layout.home(.manager) + "/.claude/.credentials.json"))
            await rotator.checkCredentials(of: .manager)
            #expect(try String(contentsOfFile: left.path, encoding: .utf8).contains("r-later"))
        } cleanup: {
            await rig.shell.stop()
        }
    }

    /// Issue #15 point 4 with a hostile container: window reports of 100% again and again move it once per
    /// `rateLimitSignalSeconds`, a reset claimed years off is taken as 8 days, and a report from before its restart
    /// (about the file it left) marks nothing.
    @Test func windowReportsWalkThePoolNoFasterThanRateLimitSignals() async throws {
        let rig = try Rig()
        let (supervisor, rotator, board) = (rig.supervisor, rig.rotator, rig.board)
        try await withCleanup {
            _ = try await supervisor.launchInstances()
            var full = InstanceUsage()
            full.fiveHourPercent = 100
            full.fiveHourResetsAt = Int(Date().timeIntervalSince1970) + 10 * 365 * 86_400
            let first = try #require(await rotator.snapshot.file(of: .worker(1)))
            await rotator.noteUsage(full, of: .worker(1), received: Date())
            let marked = try #require(await rotator.snapshot.limitedUntil(of: .worker(1)))
            #expect(marked < Date().addingTimeInterval(8 * 86_400 + 60), "the claim is capped: \(marked)")
            #expect(await rotator.wantsMoveBeforeLimit(.worker(1)))
            #expect(await rotator.moveBeforeLimit(.worker(1)))
            #expect(await rotator.snapshot.file(of: .worker(1)) != first)
            // At once again: inside the window, nothing is marked or moved.
            let started = await board.status(.worker(1))?.startedAt ?? Date()
            await rotator.noteUsage(full, of: .worker(1), received: started.addingTimeInterval(-1))
            await rotator.noteUsage(full, of: .worker(1), received: Date())
            #expect(await rotator.snapshot.limitedUntil(of: .worker(1)) == nil)
            #expect(await rotator.wantsMoveBeforeLimit(.worker(1)) == false)
        } cleanup: {
            await rig.shell.stop()
        }
    }

    /// With every free file past the threshold too, an instance near its limit stays where it is (the hard limit
    /// takes over when it comes), and no Stop is held for a move that cannot happen.
    @Test func withNoFreeFileBelowTheThresholdAnInstanceCarriesOn() async throws {
        let rig = try Rig()
        let (supervisor, rotator) = (rig.supervisor, rig.rotator)
        try await withCleanup {
            _ = try await supervisor.launchInstances()
            var full = InstanceUsage()
            full.sevenDayPercent = 97
            full.sevenDayResetsAt = Int(Date().timeIntervalSince1970) + 86_400
            // The manager goes first and takes the only free file; the one it leaves is marked.
            await rotator.noteUsage(full, of: .manager, received: Date())
            #expect(await rotator.moveBeforeLimit(.manager))
            let worker = try #require(await rotator.snapshot.file(of: .worker(1)))
            await rotator.noteUsage(full, of: .worker(1), received: Date())
            #expect(await rotator.snapshot.limitedUntil(of: .worker(1)) != nil, "its file is marked for later")
            #expect(await rotator.wantsMoveBeforeLimit(.worker(1)) == false, "no file is free: it carries on")
            #expect(await rotator.snapshot.file(of: .worker(1)) == worker)
        } cleanup: {
            await rig.shell.stop()
        }
    }

    @Test func aLimitedInstanceMovesToAFreeFileWaitsWhenNoneIsFreeAndComesBackAfterTheReset() async throws {
        let rig = try Rig()
        let (setup, shell, board, supervisor, flow, rotator) = (rig.setup, rig.shell, rig.board, rig.supervisor, rig.flow, rig.rotator)
        try await withCleanup {
            _ = try await supervisor.launchInstances()
            let now = Date()
            let before = try #require(await rotator.snapshot.file(of: .worker(1))?.name)
            await rotator.rateLimited(.worker(1), message: "You've hit your limit · resets 6:46pm (UTC)", transcriptPath: nil, now: now)
            let after = try #require(await rotator.snapshot.file(of: .worker(1))?.name)
            let managers = await rotator.snapshot.file(of: .manager)?.name
            #expect(after != before && after != managers, "\(before) → \(after)")
            let credentials = try String(contentsOfFile: setup.layout.home(.worker(1)) + "/.claude/.credentials.json", encoding: .utf8)
            #expect(credentials.contains("sk-ant-oat-" + after.prefix(1).uppercased()), "the home holds the new file's token")
            #expect(await shell.commands.starts == [.manager, .worker(1), .worker(1)], "started again on the new file")

            await rotator.rateLimited(.worker(1), message: "resets 6:46pm (UTC)", transcriptPath: nil, now: now, signalled: now.addingTimeInterval(-3600))
            #expect(await rotator.snapshot.file(of: .worker(1))?.name == after, "a signal from before the restart changes nothing")

            // A minute on: outside the window of one acted-on signal per instance.
            await rotator.rateLimited(.worker(1), message: "resets 6:46pm (UTC)", transcriptPath: nil, now: now.addingTimeInterval(61))
            guard case .paused(let until)? = await board.status(.worker(1))?.health else {
                Issue.record("not paused: \(String(describing: await board.status(.worker(1))))")
                return
            }
            let notices = try #require(TaskFlowUnitTests.reason(await flow.managerStopped()))
            #expect(notices.contains("every credential file is rate-limited: worker-1 is paused until"))

            await rotator.resumePaused(now: until.addingTimeInterval(1))
            #expect(await board.status(.worker(1))?.health == .starting)
            let log = try String(contentsOfFile: setup.layout.events, encoding: .utf8)
            for kind in ["rate-limited", "rotated", "paused", "resumed"] {
                #expect(log.contains(#""event":"\#(kind)""#), "\(kind) in \(log)")
            }
            #expect(!log.contains("sk-ant"), "no secret in the log")
        } cleanup: {
            await shell.stop()
        }
    }

    @Test func signalsFromOneInstanceAreActedOnOncePerWindowAndAClaimedResetPastAWeekIsNotBelieved() async throws {
        let rig = try Rig()
        try await withCleanup {
            _ = try await rig.supervisor.launchInstances()
            let now = Date()
            let first = try #require(await rig.rotator.snapshot.file(of: .worker(1))?.name)
            // The year 2286: taken as 8 days.
            await rig.rotator.rateLimited(.worker(1), message: "limit reached, reset 9999999999", transcriptPath: nil, now: now)
            let second = try #require(await rig.rotator.snapshot.file(of: .worker(1))?.name)
            #expect(second != first)
            let until = try #require(await rig.rotator.snapshot.entries.values.compactMap(\.limitedUntil).first)
            #expect(until <= now.addingTimeInterval(RateLimitReset.longest) && until > now.addingTimeInterval(7 * 86_400), "\(until)")

            await rig.rotator.rateLimited(.worker(1), message: "resets 6:46pm (UTC)", transcriptPath: nil, now: now.addingTimeInterval(1))
            await rig.rotator.actOnDeferredSignals(now: now.addingTimeInterval(30))
            #expect(await rig.rotator.snapshot.file(of: .worker(1))?.name == second, "a second signal inside the window waits")
            #expect(await rig.shell.commands.starts.count == 3, "one restart so far")
            #expect(await rig.board.status(.worker(1))?.health != nil)
            if case .paused? = await rig.board.status(.worker(1))?.health { Issue.record("paused inside the window") }
            await rig.rotator.actOnDeferredSignals(now: now.addingTimeInterval(61))
            // The manager holds the third file and the first is limited: acted on, it is paused.
            guard case .paused? = await rig.board.status(.worker(1))?.health else {
                Issue.record("not acted on once the window passed: \(String(describing: await rig.board.status(.worker(1))))")
                return
            }
        } cleanup: {
            await rig.shell.stop()
        }
    }

    @Test(.timeLimit(.minutes(1))) func aTranscriptIsReadOnlyAsARegularFileUnderTheInstancesOwnHome() async throws {
        let rig = try Rig()
        let home = InstanceHome(instance: .worker(1), layout: rig.setup.layout)
        let projects = home.path + "/.claude/projects/-w"
        try FileManager.default.createDirectory(atPath: projects, withIntermediateDirectories: true)
        let line = #"{"isApiErrorMessage":true,"error":"rate limited, reset 1999999999"}"#
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: projects + "/a.jsonl"))
        #expect(rig.rotator.resetFromTranscript(projects + "/a.jsonl", of: .worker(1), now: Date()) == Date(timeIntervalSince1970: 1_999_999_999))
        // Another instance's transcript, a device, a FIFO (which would block a plain read), a symlink out, a path with `..`.
        let other = InstanceHome(instance: .manager, layout: rig.setup.layout).path + "/.claude/projects/-w"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: other + "/m.jsonl"))
        #expect(mkfifo(projects + "/fifo.jsonl", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: projects + "/link.jsonl", withDestinationPath: other + "/m.jsonl")
        for path in [other + "/m.jsonl", "/dev/zero", projects + "/fifo.jsonl", projects + "/link.jsonl", projects + "/../-w/../../../../manager/.claude/projects/-w/m.jsonl"] {
            #expect(rig.rotator.resetFromTranscript(path, of: .worker(1), now: Date()) == nil, "\(path)")
        }
    }
}
