import Foundation
import OrchCore
import OrchRuntime
import Testing
import TestSupport

/// The merge check in a real container from the instances' test image (scripts/test builds it and starts dockerd).
@Suite(.serialized) struct ContainerMergeCheckTests {
    static let image = "orch-claude-test:latest"

    func place(_ dir: ScratchDirectory) throws -> GatePlace {
        let place = GatePlace(gitDirectory: dir("repo.git"), target: "main")
        for folder in [place.worktree, place.home] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        return place
    }

    func engineReady() async throws -> Bool {
        guard let engine = try? await ContainerEngine.detect(), try await engine.hasImage(Self.image) else {
            Issue.record("needs a Docker engine and \(Self.image): scripts/test runs scripts/start-dockerd and scripts/build-test-image")
            return false
        }
        return true
    }

    @Test func theCheckRunsInTheWorktreeAndItsExitAndOutputComeBack() async throws {
        guard try await engineReady() else { return }
        let dir = ScratchDirectory()
        let place = try place(dir)
        try Fixtures.write(["check.sh": "echo checking $(cat value.txt); echo to-stderr >&2; test \"$(cat value.txt)\" = good\n", "value.txt": "bad\n"],
                           in: place.worktree)
        let runner = ContainerMergeCheck(image: Self.image, network: "none", resources: nil)
        let failed = await runner.run(MergeCheck(command: "sh check.sh", timeoutSeconds: 60), in: place)
        #expect(failed.exitCode == 1 && !failed.passed)
        #expect(failed.tail.contains("checking bad") && failed.tail.contains("to-stderr"))
        try Fixtures.write(["value.txt": "good\n"], in: place.worktree)
        let passed = await runner.run(MergeCheck(command: "sh check.sh", timeoutSeconds: 60), in: place)
        #expect(passed.passed, "\(passed)")
    }

    @Test func aHangingCheckIsKilledAtItsTimeoutWithNothingLeftRunning() async throws {
        guard try await engineReady() else { return }
        let dir = ScratchDirectory()
        let place = try place(dir)
        let runner = ContainerMergeCheck(image: Self.image, network: "none", resources: nil)
        let started = Date()
        let run = await runner.run(MergeCheck(command: "echo started; sleep 600 & sleep 600", timeoutSeconds: 8), in: place)
        #expect(run.timedOut && !run.passed)
        #expect(run.tail.contains("started"))
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(run.summary(command: "sleep", timeout: 8).contains("did not finish in 8 s"))
        let left = try TestSupport.run("docker", ["ps", "-a", "--filter", "name=orch-gate-", "--format", "{{.Names}}"])
        #expect(!left.stdout.contains(ContainerMergeCheck.containerName(place)), "no container of the check is left")
    }

    @Test func theCommandsOwnStatus125IsAFailureAndAMissingImageCannotStart() async throws {
        guard try await engineReady() else { return }
        let dir = ScratchDirectory()
        let place = try place(dir)
        let own = await ContainerMergeCheck(image: Self.image, network: "none", resources: nil).run(MergeCheck(command: "exit 125"), in: place)
        #expect(own.exitCode == 1 && own.startFailure == nil, "\(own)")
        let missing = await ContainerMergeCheck(image: "orch-no-such-image:latest", network: "none", resources: nil).run(MergeCheck(command: "true"), in: place)
        #expect(missing.startFailure != nil && !missing.passed, "\(missing)")
    }

    @Test func aContainerACrashedGateLeftRunningIsRemovedBeforeTheNextCheck() async throws {
        guard try await engineReady() else { return }
        let dir = ScratchDirectory()
        let place = try place(dir)
        let name = ContainerMergeCheck.containerName(place)
        let started = try TestSupport.run("docker", ["run", "-d", "--rm", "--name", name, "--entrypoint", "/bin/sh", Self.image, "-c", "sleep 600"])
        #expect(started.status == 0, "\(started.stderr)")
        await ContainerMergeCheck(image: Self.image, network: "none", resources: nil).clear(place)
        let left = try TestSupport.run("docker", ["ps", "-a", "--filter", "name=\(name)", "--format", "{{.Names}}"])
        #expect(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(left.stdout)")
    }

    @Test func aProgramTheImageLacksIsRefusedNamingTheField() async throws {
        guard try await engineReady() else { return }
        let runner = ContainerMergeCheck(image: Self.image, network: "none", resources: nil)
        try await runner.verify(MergeCheck(command: "git --version"), field: "cfg: field mergeCheck.command")
        await #expect {
            try await runner.verify(MergeCheck(command: "CI=1 no-such-tool test"), field: "cfg: field mergeCheck.command")
        } throws: { error in
            let error = error as! OrchError
            return error.code == .usage && error.message.contains("cfg: field mergeCheck.command: `no-such-tool` is not found in the image \(Self.image)")
        }
    }
}
