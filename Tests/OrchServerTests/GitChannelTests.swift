import Foundation
import GitKit
import OrchCore
import OrchRuntime
import Testing
import TestSupport
@testable import OrchServer

/// An instance's repository over the channel: `orch checkout` clones its
/// branch from the server, `orch hook Stop` hands it back, and nothing else
/// it sends moves a ref of the server's.
@Suite(.serialized) struct GitChannelTests {
    struct Setup {
        let dir = ScratchDirectory()
        let layout: StateLayout
        let receiver: RunningReceiver

        init(commands: Bool = false) async throws {
            try Fixtures.repository(at: dir("origin"), files: ["PROJECT_DIRECTION.md": "# x\n", "a.txt": "a\n"])
            layout = StateLayout(root: dir("state"))
            _ = try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 2, layout: layout)
            let git = GitHTTPBackend(layout: layout)
            try git.installHooks()
            let workspace = TaskWorkspace(target: "main", layout: layout)
            let reads = BlockingQueue(label: "test.mirror")
            receiver = try await RunningReceiver.start(in: dir, git: git,
                                                       commands: commands ? ManagerCommands(layout: layout, target: "main", logger: .quiet) : nil,
                                                       mirror: { instance in await reads.run { try? workspace.mirror(of: instance) } })
        }

        var url: String { receiver.endpoint.url + GitHTTPBackend.urlPath }

        /// What a container of `instance` has in its environment (the channel part), with `token` as its own.
        func environment(_ instance: InstanceName, token: String? = nil) -> [String: String] {
            let token = token ?? receiver.tokens.token(for: instance)!
            return gitEnvironment.merging([
                "HOME": dir.path, "ORCH_WORKTREE": layout.worktree(instance), "ORCH_URL": receiver.endpoint.url, "ORCH_TOKEN": token,
                "ORCH_INSTANCE": "\(instance)", "ORCH_TARGET": "main",
                "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.\(url).extraHeader", "GIT_CONFIG_VALUE_0": "Authorization: Bearer \(token)",
            ]) { $1 }
        }

        func orch(_ arguments: [String], as instance: InstanceName, token: String? = nil, input: String? = nil) async throws -> CommandResult {
            try await runDetached(orchExecutable, arguments, in: layout.worktree(instance), environment: environment(instance, token: token), input: input)
        }

        /// A hook event the way `hook` forwards it from inside `instance`'s container; `environment` adds to its environment.
        func hook(_ event: String, via hook: HookCommand, as instance: InstanceName, input: String,
                  environment extra: [String: String] = [:]) async throws -> CommandResult {
            let (executable, arguments) = hook.invocation(event)
            return try await runDetached(executable, arguments, in: layout.worktree(instance),
                                         environment: environment(instance).merging(extra) { $1 }, input: input)
        }

        func git(_ arguments: [String], as instance: InstanceName, token: String? = nil) throws -> CommandResult {
            try run("git", arguments, in: layout.worktree(instance), environment: environment(instance, token: token))
        }

        func serverRefs() throws -> String { try TestSupport.git("for-each-ref", "--format=%(refname) %(objectname)", in: layout.clone) }
    }

    @Test(arguments: HookCommand.allCases) func anInstanceClonesItsBranchAndHandsItBackAndCanMoveNothingElse(_ hook: HookCommand) async throws {
        let setup = try await Setup()
        try await withCleanup {
            let checkout = try await setup.orch(["checkout"], as: .worker(1))
            #expect(checkout.status == 0, "\(checkout.stderr)")
            let clone = setup.layout.worktree(.worker(1))
            #expect(try git("symbolic-ref", "HEAD", in: clone) == "refs/heads/orch/worker-1")
            #expect(try git("rev-parse", "main", in: clone) == (try git("rev-parse", "main", in: setup.layout.clone)), "the target is a local branch of the clone")
            #expect(try git("remote", "get-url", "origin", in: clone) == setup.url)
            #expect(!(try String(contentsOfFile: clone + "/.git/config", encoding: .utf8)).contains(setup.receiver.tokens.token(for: .worker(1))!),
                    "the token stays in the environment")

            try Fixtures.write(["b.txt": "b\n"], in: clone)
            _ = try git("add", "-A", in: clone)
            _ = try git("commit", "-q", "-m", "b", "-m", "Orch-Task: T-0001", in: clone)
            let stop = try await setup.hook("Stop", via: hook, as: .worker(1), input: #"{"session_id": "s", "hook_event_name": "Stop"}"#)
            #expect(stop.status == 0 && stop.stdout.contains("Next: T-0002"), "\(stop.stderr)")
            #expect(try git("rev-parse", "orch/worker-1", in: setup.layout.clone) == (try git("rev-parse", "HEAD", in: clone)),
                    "the Stop handed the branch back before the server saw it")

            // A commit the server does not have, to push where it must not go.
            try Fixtures.write(["c.txt": "c\n"], in: clone)
            _ = try git("add", "-A", in: clone)
            _ = try git("commit", "-q", "-m", "c", in: clone)
            let before = try setup.serverRefs()
            let attempts: [(String, [String], String?)] = [
                ("the target", ["push", "origin", "HEAD:refs/heads/main"], nil),
                ("another worker's branch", ["push", "origin", "HEAD:refs/heads/orch/worker-2"], nil),
                ("a new branch", ["push", "origin", "HEAD:refs/heads/evil"], nil),
                ("a tag", ["push", "origin", "HEAD:refs/tags/v1"], nil),
                ("orch's marks", ["push", "origin", "HEAD:refs/orch/delivered/T-0009"], nil),
                ("its own branch deleted", ["push", "origin", ":refs/heads/orch/worker-1"], nil),
                ("its own branch rewound", ["push", "--force", "origin", "HEAD~2:refs/heads/orch/worker-1"], nil),
                ("worker 1's branch with worker 2's token", ["push", "origin", "HEAD:refs/heads/orch/worker-1"],
                 setup.receiver.tokens.token(for: .worker(2))),
                ("no token", ["push", "origin", "HEAD:refs/heads/orch/worker-1"], "not-a-token"),
                ("the operator's token", ["push", "origin", "HEAD:refs/heads/orch/worker-1"], setup.receiver.tokens.operatorSecret),
            ]
            for (what, arguments, token) in attempts {
                let attempt = try setup.git(arguments, as: .worker(1), token: token)
                #expect(attempt.status != 0, "pushing \(what) was accepted: \(attempt.stderr)")
                #expect(try setup.serverRefs() == before, "pushing \(what) moved a ref")
            }
            let wrongOwner = try setup.git(["push", "origin", "HEAD:refs/heads/orch/worker-2"], as: .worker(1))
            #expect(wrongOwner.stderr.contains("may push only refs/heads/orch/worker-1, not refs/heads/orch/worker-2"), "\(wrongOwner.stderr)")
            // Its own branch, forward, with its own token: taken.
            #expect(try setup.git(["push", "origin", "HEAD:refs/heads/orch/worker-1"], as: .worker(1)).status == 0)
            #expect(try git("rev-parse", "orch/worker-1", in: setup.layout.clone) == (try git("rev-parse", "HEAD", in: clone)))
        } cleanup: {
            await setup.receiver.stop()
        }
    }

    @Test func onlyTheSmartProtocolIsServedAndOnlyWithAnInstancesToken() async throws {
        let setup = try await Setup()
        try await withCleanup {
            let base = setup.receiver.endpoint.url + GitHTTPBackend.urlPath
            for (path, token, status) in [("/info/refs?service=git-upload-pack", nil, "401"), ("/info/refs?service=git-upload-pack", "bad", "401"),
                                          ("/info/refs?service=git-upload-pack", setup.receiver.tokens.operatorSecret, "401"),
                                          ("/info/refs?service=git-upload-pack", setup.receiver.tokens.token(for: .worker(2)), "200"),
                                          ("/info/refs", setup.receiver.tokens.token(for: .worker(2)), "404"),
                                          ("/config", setup.receiver.tokens.token(for: .worker(2)), "404"),
                                          ("/HEAD", setup.receiver.tokens.token(for: .worker(2)), "404"),
                                          ("/objects/info/packs", setup.receiver.tokens.token(for: .worker(2)), "404")] {
                let headers = token.map { ["-H", "Authorization: Bearer \($0)"] } ?? []
                let result = try await runDetached("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + headers + [base + path])
                #expect(result.stdout == status, "\(path) with \(token == nil ? "no token" : "a token") answered \(result.stdout), not \(status)")
            }
        } cleanup: {
            await setup.receiver.stop()
        }
    }

    @Test(arguments: HookCommand.allCases) func aBranchTheServerMovedIsTakenIntoTheCloneAndLocalEditsInTheWayAreSaid(_ hook: HookCommand) async throws {
        let setup = try await Setup()
        try await withCleanup {
            #expect(try await setup.orch(["checkout"], as: .worker(1)).status == 0)
            let clone = setup.layout.worktree(.worker(1))
            try Fixtures.commit(["a.txt": "from main\n"], on: "main", message: "main moves", in: setup.layout.clone)
            guard case .updated = try WorkerBranchSync(target: "main").update(branch: "orch/worker-1", in: Repository.open(at: setup.layout.clone)) else {
                Issue.record("expected the server to merge main in"); return
            }
            let prompt = try await setup.hook("UserPromptSubmit", via: hook, as: .worker(1), input: #"{"session_id": "s", "prompt": "go"}"#)
            #expect(prompt.status == 0 && prompt.stdout.isEmpty, "\(prompt.stdout) \(prompt.stderr)")
            #expect(try String(contentsOfFile: clone + "/a.txt", encoding: .utf8) == "from main\n")

            try Fixtures.commit(["a.txt": "main again\n"], on: "main", message: "main moves again", in: setup.layout.clone)
            _ = try WorkerBranchSync(target: "main").update(branch: "orch/worker-1", in: Repository.open(at: setup.layout.clone))
            try Fixtures.write(["a.txt": "an edit of the worker's\n"], in: clone)
            let blocked = try await setup.hook("UserPromptSubmit", via: hook, as: .worker(1), input: #"{"session_id": "s", "prompt": "go"}"#)
            #expect(blocked.stdout.contains("could not follow") && blocked.stdout.contains("git pull --no-edit origin orch/worker-1"), "\(blocked.stdout)")
            #expect(try String(contentsOfFile: clone + "/a.txt", encoding: .utf8) == "an edit of the worker's\n", "the edit is kept")
        } cleanup: {
            await setup.receiver.stop()
        }
    }

    /// With nothing to move either way the forwarder runs no git (here: there is none on its PATH, and it says nothing);
    /// with something to move it hands over to `orch hook`, which does.
    @Test func theForwarderRunsNoGitWhenTheCloneAndTheServerAgreeAndHandsOverWhenTheyDoNot() async throws {
        let setup = try await Setup()
        try await withCleanup {
            #expect(try await setup.orch(["checkout"], as: .worker(1)).status == 0)
            let clone = setup.layout.worktree(.worker(1))
            let noGit = ["PATH": "/nonexistent"]
            let stop = #"{"session_id": "s", "hook_event_name": "Stop"}"#
            let quiet = try await setup.hook("Stop", via: .forwarder, as: .worker(1), input: stop, environment: noGit)
            #expect(quiet.status == 0 && quiet.stdout.contains("Next: T-0002") && quiet.stderr.isEmpty, "\(quiet.stderr)")
            let prompt = try await setup.hook("UserPromptSubmit", via: .forwarder, as: .worker(1), input: #"{"session_id": "s", "prompt": "go"}"#,
                                              environment: noGit)
            #expect(prompt.status == 0 && prompt.stdout.isEmpty && prompt.stderr.isEmpty, "\(prompt.stderr)")
            // The refs packed (git gc does it): read from packed-refs, the same.
            _ = try git("pack-refs", "--all", in: clone)
            let packed = try await setup.hook("Stop", via: .forwarder, as: .worker(1), input: stop, environment: noGit)
            #expect(packed.status == 0 && packed.stdout.contains("Next: T-0002") && packed.stderr.isEmpty, "\(packed.stderr)")

            // A commit of the worker's: the Stop goes through orch hook, which finds no git here and says so.
            try Fixtures.write(["b.txt": "b\n"], in: clone)
            _ = try git("add", "-A", in: clone)
            _ = try git("commit", "-q", "-m", "b", "-m", "Orch-Task: T-0001", in: clone)
            let handing = try await setup.hook("Stop", via: .forwarder, as: .worker(1), input: stop, environment: noGit)
            #expect(handing.status == 0 && handing.stderr.contains("cannot hand orch/worker-1 back"), "\(handing.stderr)")
            let handed = try await setup.hook("Stop", via: .forwarder, as: .worker(1), input: stop)
            #expect(handed.stderr.isEmpty && handed.stdout.contains("Next: T-0002"), "\(handed.stderr)")
            #expect(try git("rev-parse", "orch/worker-1", in: setup.layout.clone) == (try git("rev-parse", "HEAD", in: clone)))

            // The target moves: the reply's Orch-Mirror differs from what the clone holds, so orch hook fetches it.
            try Fixtures.commit(["z.txt": "z\n"], on: "main", message: "main moves", in: setup.layout.clone)
            let fetching = try await setup.hook("Stop", via: .forwarder, as: .worker(1), input: stop)
            #expect(fetching.status == 0 && fetching.stderr.isEmpty, "\(fetching.stderr)")
            #expect(try git("rev-parse", "main", in: clone) == (try git("rev-parse", "main", in: setup.layout.clone)), "the clone's main follows")
            let settled = try await setup.hook("Stop", via: .forwarder, as: .worker(1), input: stop, environment: noGit)
            #expect(settled.stderr.isEmpty && settled.stdout.contains("Next: T-0002"), "in step again: \(settled.stderr)")

            // The server moves the branch: the reply's Orch-Mirror differs from what the clone holds, so orch hook takes it.
            try Fixtures.commit(["a.txt": "from main\n"], on: "main", message: "main moves", in: setup.layout.clone)
            _ = try WorkerBranchSync(target: "main").update(branch: "orch/worker-1", in: Repository.open(at: setup.layout.clone))
            let taking = try await setup.hook("UserPromptSubmit", via: .forwarder, as: .worker(1), input: #"{"session_id": "s", "prompt": "go"}"#)
            #expect(taking.status == 0 && taking.stdout.isEmpty, "\(taking.stdout) \(taking.stderr)")
            #expect(try String(contentsOfFile: clone + "/a.txt", encoding: .utf8) == "from main\n")
        } cleanup: {
            await setup.receiver.stop()
        }
    }

    @Test func theManagersAssignAndMergeRunOnTheServerAndAWorkersAreRefused() async throws {
        let setup = try await Setup(commands: true)
        try await withCleanup {
            let assigned = try await setup.orch(["assign", "--worker", "1", "Write b.txt"], as: .manager)
            #expect(assigned.status == 0 && assigned.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "T-0001", "\(assigned.stderr)")
            #expect(try git("show", "main:WORKER_1_TASK_LIST.md", in: setup.layout.clone).contains("- [ ] T-0001: Write b.txt"))
            let byWorker = try await setup.orch(["assign", "--worker", "2", "Take over"], as: .worker(1))
            #expect(byWorker.status == 1 && byWorker.stderr.contains("only the manager merges and assigns"), "\(byWorker.stderr)")
            let control = try await setup.orch(["assign", "--worker", "1", "bad\u{1B}[2J"], as: .manager)
            #expect(control.status == 2 && control.stderr.contains("control character"), "\(control.stderr)")

            #expect(try await setup.orch(["checkout"], as: .worker(1)).status == 0)
            let clone = setup.layout.worktree(.worker(1))
            try Fixtures.write(["b.txt": "b\n"], in: clone)
            _ = try git("add", "-A", in: clone)
            _ = try git("commit", "-q", "-m", "b", "-m", "Orch-Task: T-0001", in: clone)
            _ = try await setup.orch(["hook", "Stop"], as: .worker(1), input: #"{"session_id": "s"}"#)
            let merged = try await setup.orch(["merge", "worker-1"], as: .manager)
            #expect(merged.status == 0 && merged.stdout.contains("orch/worker-1: merged into main") && merged.stdout.contains("(done: T-0001)"),
                    "\(merged.stdout) \(merged.stderr)")
            #expect(try git("show", "main:WORKER_1_TASK_LIST.md", in: setup.layout.clone).contains("- [x] T-0001: Write b.txt"))
            let mergedByWorker = try await setup.orch(["merge", "--all"], as: .worker(2))
            #expect(mergedByWorker.status == 1, "\(mergedByWorker.stderr)")
        } cleanup: {
            await setup.receiver.stop()
        }
    }
}
