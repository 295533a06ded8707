import Foundation
import Logging
import OrchCore
import OrchRuntime
import Testing
import TestSupport
@testable import OrchServer

/// Instances as real tmux sessions running shell commands (no containers):
/// what the supervisor sees of a fleet.
final class ShellInstances: InstanceProcesses, @unchecked Sendable {
    let tmux = Tmux(socket: "orchtest-supervisor-\(UUID().uuidString.prefix(8))")
    let instances: [InstanceName]
    let adopted: Set<InstanceName> = []
    /// The command each start runs; a test changes it to make restarts fail or succeed.
    let commands: Commands

    actor Commands {
        var byInstance: [InstanceName: String]
        var starts: [InstanceName] = []
        init(_ commands: [InstanceName: String]) { byInstance = commands }
        func set(_ instance: InstanceName, _ command: String) { byInstance[instance] = command }
        func started(_ instance: InstanceName) -> String {
            starts.append(instance)
            return byInstance[instance] ?? "sleep 600"
        }
    }

    init(_ commands: [InstanceName: String]) {
        instances = commands.keys.sorted()
        self.commands = Commands(commands)
    }

    func launch() async throws -> any InstanceProcesses {
        for instance in instances { try await start(instance) }
        return self
    }

    func panes() async throws -> [String: Tmux.Pane] { try await tmux.panes() }
    func start(_ instance: InstanceName) async throws {
        try await tmux.startSession("\(instance)", command: await commands.started(instance), logFile: nil)
    }
    func stop(_ instance: InstanceName) async { try? await tmux.killSession("\(instance)") }
    func stop() async { try? await tmux.killServer() }
    func type(_ text: String, into instance: InstanceName) async throws { try await tmux.type("\(instance)", text) }
}

@Suite struct InstanceSupervisorTests {
    static func policy(maxRestarts: Int = 2) -> HealthPolicy {
        var policy = HealthPolicy()
        policy.backoffSeconds = 1
        policy.maxBackoffSeconds = 4
        policy.maxRestarts = maxRestarts
        policy.windowSeconds = 600
        policy.silenceSeconds = 30
        return policy
    }

    static func waitForPanes(_ instances: ShellInstances, _ check: ([String: Tmux.Pane]) -> Bool) async throws {
        for _ in 0..<100 {
            if check(try await instances.panes()) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the panes never got there: \(try await instances.panes())")
    }

    @Test func backoffDoublesUpToItsCap() {
        var policy = HealthPolicy()
        policy.backoffSeconds = 2
        policy.maxBackoffSeconds = 60
        #expect((1...7).map(policy.backoff(afterFailures:)) == [2, 4, 8, 16, 32, 60, 60])
    }

    @Test func aVanishedSessionAndAnExitedContainerAreRestartedAfterTheirBackoff() async throws {
        let instances = ShellInstances([.manager: "sleep 600", .worker(1): "sleep 600"])
        let board = InstanceBoard(instances: instances.instances)
        let dir = ScratchDirectory()
        let events = try EventLog(file: dir("events.jsonl"))
        let supervisor = InstanceSupervisor(launch: instances.launch, board: board, policy: Self.policy(), layout: nil, events: events, logger: .quiet)
        try await withCleanup {
            try await supervisor.launchInstances()
            let t0 = Date()
            await supervisor.check(now: t0)
            #expect(await board.status(.manager)?.health == .starting, "healthy instances are left alone")

            try await instances.tmux.killSession("manager")
            // worker-1's command ends with status 3, as a container whose Claude died would.
            _ = try await runDetached("tmux", ["-L", instances.tmux.socket, "respawn-pane", "-k", "-t", "=worker-1:", "sh -c 'exit 3'"])
            try await Self.waitForPanes(instances) { $0["worker-1"]?.dead == true }

            await supervisor.check(now: t0)
            let manager = try #require(await board.status(.manager))
            #expect(manager.health == .waitingToRestart(reason: "its tmux session vanished", at: t0.addingTimeInterval(1)))
            let worker = try #require(await board.status(.worker(1)))
            // (tmux under load now and then loses a dead pane's status: then it is "unknown", and the restart is the same.)
            #expect([3, nil].map { status in
                InstanceStatus.Health.waitingToRestart(reason: "its container exited with status \(status.map(String.init) ?? "unknown")", at: t0.addingTimeInterval(1))
            }.contains(worker.health), "\(worker.health)")
            #expect(try await instances.panes()["worker-1"] == nil, "a failed instance is stopped at once")

            await supervisor.check(now: t0.addingTimeInterval(0.5))
            #expect(try await instances.panes().isEmpty, "nothing restarts before its backoff")
            await supervisor.check(now: t0.addingTimeInterval(1))
            #expect(Set(try await instances.panes().keys) == ["manager", "worker-1"])
            #expect(await board.status(.manager)?.restarts == 1)
            #expect(await board.status(.worker(1))?.health == .starting)

            let log = try String(contentsOfFile: dir("events.jsonl"), encoding: .utf8)
            #expect(log.contains(#""event":"restart","instance":"worker-1","reason":"its container exited with status "#))
        } cleanup: {
            await instances.stop()
        }
    }

    @Test func aResumedStartThatDiesAtOnceIsFollowedByAFreshStart() async throws {
        let dir = ScratchDirectory()
        let layout = StateLayout(root: dir("state"))
        let session = "0b0f3a9e-1111-4222-8333-444455556666"
        try Fixtures.write([".claude/projects/p/\(session).jsonl": "{}\n", ".orch/keep": ""], in: layout.home(.worker(1)))
        let instances = ShellInstances([.worker(1): "sh -c 'exit 1'"])
        let board = InstanceBoard(instances: instances.instances)
        let supervisor = InstanceSupervisor(launch: instances.launch, board: board, policy: Self.policy(maxRestarts: 5), layout: layout, events: nil, logger: .quiet)
        let resumeFile = layout.home(.worker(1)) + "/.orch/resume-session"
        try await withCleanup {
            try await supervisor.launchInstances()
            let t0 = Date()
            // The first restart resumes the conversation it finds.
            try await Self.waitForPanes(instances) { $0["worker-1"]?.dead == true }
            await supervisor.check(now: t0)
            await supervisor.check(now: t0.addingTimeInterval(1))
            #expect((try? String(contentsOfFile: resumeFile, encoding: .utf8)) == session)
            // It dies at once again: the next start is a fresh one.
            try await Self.waitForPanes(instances) { $0["worker-1"]?.dead == true }
            await supervisor.check(now: t0.addingTimeInterval(2))
            await supervisor.check(now: t0.addingTimeInterval(4))
            #expect(await board.status(.worker(1))?.restarts == 2)
            #expect(!FileManager.default.fileExists(atPath: resumeFile), "a session that cannot be resumed is not tried a third time")
        } cleanup: {
            await instances.stop()
        }
    }

    @Test func tooManyFailuresInTheWindowMarkTheInstanceFailed() async throws {
        let instances = ShellInstances([.worker(1): "sh -c 'sleep 0.3; exit 1'"])
        let board = InstanceBoard(instances: instances.instances)
        let supervisor = InstanceSupervisor(launch: instances.launch, board: board, policy: Self.policy(maxRestarts: 2), layout: nil, events: nil, logger: .quiet)
        try await withCleanup {
            try await supervisor.launchInstances()
            var now = Date()
            var delays: [TimeInterval] = []
            for _ in 0..<3 {
                try await Self.waitForPanes(instances) { $0["worker-1"]?.dead == true }
                await supervisor.check(now: now)
                guard case .waitingToRestart(_, let at)? = await board.status(.worker(1))?.health else { break }
                delays.append(at.timeIntervalSince(now))
                now = at
                await supervisor.check(now: now)
            }
            #expect(delays == [1, 2], "backoff doubles")
            guard case .failed(let reason)? = await board.status(.worker(1))?.health else {
                Issue.record("not failed: \(String(describing: await board.status(.worker(1))))")
                return
            }
            // (tmux now and then loses the status of a pane whose command ended; the count is what matters here.)
            #expect(reason.hasPrefix("3 failures in 600 s; the last: its container exited with status"), "\(reason)")
            #expect(await instances.commands.starts.count == 3, "the first start and two restarts, then no more")
            await supervisor.check(now: now.addingTimeInterval(100))
            #expect(try await instances.panes().isEmpty, "a failed instance stays stopped")
        } cleanup: {
            await instances.stop()
        }
    }

    @Test func aWorkingInstanceSilentPastTheLimitIsRestarted() async throws {
        let instances = ShellInstances([.worker(1): "sleep 600"])
        let board = InstanceBoard(instances: instances.instances)
        let supervisor = InstanceSupervisor(launch: instances.launch, board: board, policy: Self.policy(), layout: nil, events: nil, logger: .quiet)
        try await withCleanup {
            try await supervisor.launchInstances()
            let t0 = Date()
            await board.record(try HookEvent(name: .sessionStart, instance: .worker(1), body: Data(#"{"source": "startup"}"#.utf8), received: t0))
            await board.record(try HookEvent(name: .userPromptSubmit, instance: .worker(1), body: Data(#"{"prompt": "go"}"#.utf8), received: t0))
            await supervisor.check(now: t0.addingTimeInterval(29))
            #expect(await board.status(.worker(1))?.health == .running)
            await supervisor.check(now: t0.addingTimeInterval(31))
            guard case .waitingToRestart(let reason, _)? = await board.status(.worker(1))?.health else {
                Issue.record("a silent worker is not restarted")
                return
            }
            #expect(reason == "silent for 31 s while working (no hook event, no transcript write)")

            // An idle one (its turn ended) may be silent for ever.
            await board.update(.worker(1)) { $0.health = .running }
            await board.record(try HookEvent(name: .stop, instance: .worker(1), body: Data("{}".utf8), received: t0))
            try await instances.start(.worker(1))
            await supervisor.check(now: t0.addingTimeInterval(3_600))
            #expect(await board.status(.worker(1))?.health == .running)
        } cleanup: {
            await instances.stop()
        }
    }
}
