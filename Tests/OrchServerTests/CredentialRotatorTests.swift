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
    @Test func aLimitedInstanceMovesToAFreeFileWaitsWhenNoneIsFreeAndComesBackAfterTheReset() async throws {
        let setup = try TaskFlowUnitTests.Setup()
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
        let shell = ShellInstances([.manager: "sleep 600", .worker(1): "sleep 600"])
        let board = InstanceBoard(instances: instances)
        let events = try EventLog(file: setup.layout.events)
        let supervisor = InstanceSupervisor(launch: shell.launch, board: board, policy: InstanceSupervisorTests.policy(), layout: nil, events: events, logger: .quiet)
        let flow = setup.flow()
        let rotator = CredentialRotator(pool: pool, supervisor: supervisor, flow: flow, board: board, layout: setup.layout,
                                        policy: HealthPolicy(), events: events, logger: .quiet)
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

            await rotator.rateLimited(.worker(1), message: "resets 6:46pm (UTC)", transcriptPath: nil, now: Date())
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
}
