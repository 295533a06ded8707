import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

/// orch's target and a bare remote over file://: pushes only fast-forward,
/// upstream commits and task lines taken in, conflicts left to the manager.
@Suite struct RemoteSyncTests {
    let dir = ScratchDirectory()
    let layout: StateLayout
    let sync: RemoteSync

    init() throws {
        try Fixtures.repository(at: dir("seed"), files: ["PROJECT_DIRECTION.md": "# x\n", "app.txt": "1\n2\n3\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("remote.git"), in: dir.path)
        layout = StateLayout(root: dir("state"))
        let config = try OrchestratorConfig.parse(Data("""
            {"repositoryUrl": "file://\(dir("remote.git"))", "workerCount": 2, "claudeConfigs": "/x/*.json"}
            """.utf8), file: "orchestrator.json")
        sync = try RemoteSync(config: config, configFile: "orchestrator.json", layout: layout, environment: [:])
        _ = try Workspace.prepare(repositoryURL: config.repositoryURL, target: "main", workerCount: 2, layout: layout, remote: sync)
    }

    func remote(_ revision: String = "main") throws -> String { try git("rev-parse", revision, in: dir("remote.git")) }
    func local(_ revision: String = "main") throws -> String { try git("rev-parse", revision, in: layout.clone) }

    /// "A person" commits on the remote's main through a clone of their own.
    func personCommits(_ files: [String: String], appendingTo list: String? = nil, lines: [String] = [], message: String) throws {
        let work = dir("person-\(UUID().uuidString.prefix(6))")
        try git("clone", "-q", dir("remote.git"), work, in: dir.path)
        try Fixtures.write(files, in: work)
        if let list {
            let path = work + "/" + list
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            try (text + lines.map { $0 + "\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
        }
        try git("add", "-A", in: work)
        try git("commit", "-qm", message, in: work)
        try git("push", "-q", "origin", "main", in: work)
    }

    @Test func theTargetIsPushedAsAFastForwardAndOrchBranchesMayForce() throws {
        #expect(try sync.pushTarget() == .pushed(try local()))
        #expect(try remote() == (try local()))
        let first = try remote()
        _ = try TaskAssignment(worker: 1, text: "first", branch: "main").commit(to: Repository.open(at: layout.clone))
        #expect(try sync.pushTarget() == .pushed(try local()))
        #expect(try git("merge-base", "--is-ancestor", first, "main", in: dir("remote.git")) == "")
        #expect(try sync.pushTarget() == .upToDate)
        #expect(try sync.counts() == (0, 0))

        #expect(try sync.pushBranches() == ["orch/manager", "orch/worker-1", "orch/worker-2"])
        #expect(try remote("orch/worker-1") == (try local("orch/worker-1")))
        #expect(try sync.pushBranches() == [], "nothing moved, nothing pushed")
        let moved = try Fixtures.commit(["w.txt": "work\n"], on: "orch/worker-1", message: "work", in: layout.clone)
        #expect(try sync.pushBranches() == ["orch/worker-1"])
        #expect(try remote("orch/worker-1") == moved)
        let older = try local("orch/worker-1~1")
        try git("update-ref", "refs/heads/orch/worker-1", older, in: layout.clone)
        #expect(try sync.pushBranches() == ["orch/worker-1"], "a branch moved back is pushed with force")
        #expect(try remote("orch/worker-1") == older)
    }

    @Test func aPersonsCommitAndTaskLinesAreTakenInWithUniqueIDs() throws {
        _ = try sync.pushTarget()
        try personCommits(["person.txt": "hello\n"], appendingTo: "WORKER_1_TASK_LIST.md",
                          lines: ["- [ ] Set extra.txt to upstream", "- [ ] T-0001: a person's own id"], message: "A person's work")
        let personTip = try remote()
        _ = try TaskAssignment(worker: 1, text: "orch's first", branch: "main").commit(to: Repository.open(at: layout.clone))
        guard case .rejected = try sync.pushTarget() else { Issue.record("the remote moved: the push must be refused"); return }
        try sync.fetch()
        #expect(try sync.counts() == (1, 1))
        #expect(try sync.takeIn() == .merged)
        let list = try git("show", "main:WORKER_1_TASK_LIST.md", in: layout.clone)
        #expect(list.contains("- [ ] T-0001: orch's first"))
        #expect(list.contains("- [ ] T-0002: Set extra.txt to upstream"), "\(list)")
        #expect(list.contains("- [ ] T-0003: a person's own id"), "\(list)")
        let board = try TaskBoard(TreeSnapshot(tree: Repository.open(at: layout.clone).treeID(ofCommit: ObjectID(hex: local())!), in: Repository.open(at: layout.clone)))
        #expect(board.tasks.count == 3)
        #expect(try git("show", "main:person.txt", in: layout.clone) == "hello")
        #expect(try sync.pushTarget() == .pushed(try local()))
        #expect(try git("merge-base", "--is-ancestor", personTip, "main", in: dir("remote.git")) == "")
        #expect(try sync.takeIn() == .upToDate)
    }

    @Test func anUpstreamConflictLeavesTheTargetUntilTheManagerResolvesIt() throws {
        _ = try sync.pushTarget()
        try personCommits(["app.txt": "1\nperson\n3\n"], appendingTo: "WORKER_1_TASK_LIST.md", lines: ["- [ ] Review the release"],
                          message: "A person edits line 2 and adds a task")
        _ = try TaskAssignment(worker: 1, text: "orch's task", branch: "main").commit(to: Repository.open(at: layout.clone))
        try Fixtures.commit(["app.txt": "1\norch\n3\n"], on: "main", message: "orch edits line 2", in: layout.clone)
        let before = try git("show", "main:app.txt", in: layout.clone)
        try sync.fetch()
        guard case .conflicted(let paths, let upstream) = try sync.takeIn() else { Issue.record("expected a conflict"); return }
        #expect(paths == ["app.txt"])
        #expect(upstream == (try remote()))
        #expect(try git("show", "main:app.txt", in: layout.clone) == before, "the conflicting file does not move")
        let list = try git("show", "main:WORKER_1_TASK_LIST.md", in: layout.clone)
        #expect(list.contains("- [ ] T-0001: orch's task") && list.contains("- [ ] T-0002: Review the release"), "the remote's task is taken in already: \(list)")
        #expect(try sync.takeIn() == .conflicted(paths: ["app.txt"], upstream: upstream), "and only once")
        #expect(try git("show", "main:WORKER_1_TASK_LIST.md", in: layout.clone) == list)
        #expect(try sync.pushTarget() == .behind, "nothing is pushed over the remote's commits")

        // The manager's way out, in its clone (main follows orch's, upstream/main is the remote's as orch fetched it):
        // on orch/manager merge main and upstream/main, take main's task lists, resolve the rest, commit, `orch merge manager`.
        let manager = try Fixtures.instanceClone(of: "orch/manager", from: layout.clone, at: layout.worktree(.manager))
        try git("config", "--add", "remote.origin.fetch", "+refs/heads/main:refs/heads/main", in: manager)
        try git("config", "--add", "remote.origin.fetch", "+refs/remotes/origin/*:refs/remotes/upstream/*", in: manager)
        try git("fetch", "-q", "origin", in: manager)
        try git("merge", "-q", "--no-edit", "main", in: manager)
        _ = try? git("merge", "-q", "--no-edit", "upstream/main", in: manager)
        try git("checkout", "main", "--", "WORKER_1_TASK_LIST.md", in: manager)
        try "1\norch\nperson\n3\n".write(toFile: manager + "/app.txt", atomically: true, encoding: .utf8)
        try git("commit", "-qam", "Merge upstream/main, both sides", in: manager)
        try Fixtures.handBack("orch/manager", from: manager)
        _ = try BranchMerge(target: "main").merge("orch/manager", in: Repository.open(at: layout.clone))
        #expect(try sync.takeIn() == .upToDate)
        #expect(try sync.pushTarget() == .pushed(try local()))
        #expect(try git("show", "main:app.txt", in: dir("remote.git")) == "1\norch\nperson\n3")
        let pushed = try git("show", "main:WORKER_1_TASK_LIST.md", in: dir("remote.git"))
        #expect(pushed.components(separatedBy: "Review the release").count == 2, "the person's task once: \(pushed)")
    }

    @Test func aConflictWithOddTaskLinesUpstreamCommitsOnceNotEveryRound() throws {
        _ = try sync.pushTarget()
        try personCommits(["app.txt": "1\nperson\n3\n"], appendingTo: "WORKER_1_TASK_LIST.md",
                          lines: ["- [] y", "- [ ] T-0007: twice", "- [ ] T-0007: twice"], message: "A person's odd lines")
        try Fixtures.commit(["app.txt": "1\norch\n3\n"], on: "main", message: "orch edits line 2", in: layout.clone)
        try sync.fetch()
        guard case .conflicted = try sync.takeIn() else { Issue.record("expected a conflict"); return }
        let tip = try local()
        for _ in 1...3 { _ = try sync.takeIn() }
        #expect(try local() == tip, "a round that would only escape or renumber again commits nothing")
        let list = try git("show", "main:WORKER_1_TASK_LIST.md", in: layout.clone)
        #expect(list.contains("\\- [] y") && list.components(separatedBy: "twice").count == 3, "\(list)")
    }

    @Test func anUnreachableRemoteIsAnErrorNamingIt() throws {
        try FileManager.default.moveItem(atPath: dir("remote.git"), toPath: dir("away.git"))
        let error = try #require(throws: OrchError.self) { try sync.fetch() }
        #expect(error.message.contains(dir("remote.git")), "\(error)")
        let push = try #require(throws: OrchError.self) { try sync.pushTarget() }
        #expect(push.message.contains(dir("remote.git")), "\(push)")
    }
}

@Suite struct RemoteSettingsTests {
    func parse(_ fields: String) throws -> OrchestratorConfig {
        try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "git@host:a/b.git", "workerCount": 1, "claudeConfigs": "/x/*.json"\#(fields)}"#.utf8), file: "c.json")
    }

    func message(_ fields: String) -> String {
        do { _ = try parse(fields); return "" } catch { return "\(error)" }
    }

    @Test func fieldsAndDefaults() throws {
        let plain = try parse("")
        #expect(plain.pushWorkerBranches && plain.gitIdentity == nil && plain.remote == RemoteSettings())
        let full = try parse(#", "pushWorkerBranches": false, "gitIdentity": {"name": "Jane Doe", "email": "jane@example.com"}, "remote": {"sshKey": "~/.ssh/k", "knownHosts": "/k", "tokenEnv": "TOKEN", "username": "oauth2", "fetchSeconds": 5}"#)
        #expect(!full.pushWorkerBranches)
        #expect(full.gitIdentity == GitIdentity(name: "Jane Doe", email: "jane@example.com"))
        #expect(full.remote.sshKey == "~/.ssh/k" && full.remote.knownHosts == "/k" && full.remote.tokenEnv == "TOKEN" && full.remote.username == "oauth2" && full.remote.fetchSeconds == 5)
    }

    @Test func badValuesNameTheField() {
        #expect(message(#", "remote": {"token": "x"}"#).contains("field remote.token: unknown field"))
        #expect(message(#", "remote": {"fetchSeconds": 0}"#).contains("field remote.fetchSeconds"))
        #expect(message(#", "remote": {"tokenEnv": "A", "tokenFile": "/f"}"#).contains("field remote.tokenFile"))
        #expect(message(#", "remote": {"tokenEnv": "A-B"}"#).contains("field remote.tokenEnv"))
        #expect(message(#", "gitIdentity": {"name": "J"}"#).contains("field gitIdentity.email: missing"))
        #expect(message(#", "gitIdentity": {"name": "J <x>", "email": "j@x"}"#).contains("field gitIdentity.name"))
        #expect(message(#", "pushWorkerBranches": "yes""#).contains("field pushWorkerBranches"))
        #expect(message(#", "remote": {}}"#.replacingOccurrences(of: "}}", with: "}")).isEmpty)
        let tokenAsUser = (try? OrchestratorConfig.parse(Data(#"{"repositoryUrl": "https://ghp_secret@github.com/a/b.git", "workerCount": 1, "claudeConfigs": "/x"}"#.utf8), file: "c.json")) == nil
        #expect(tokenAsUser, "a token in the user part of an https URL is refused")
        #expect(RemoteAccess.redacting("https://ghp_secret@github.com/a/b.git") == "https://***@github.com/a/b.git")
        #expect(RemoteAccess.redacting("ssh://git@github.com/a/b.git") == "ssh://git@github.com/a/b.git")
        let withPassword = (try? OrchestratorConfig.parse(Data(#"{"repositoryUrl": "https://jane:s3cret@host/a.git", "workerCount": 1, "claudeConfigs": "/x"}"#.utf8), file: "c.json")) == nil
        #expect(withPassword)
        do {
            _ = try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "https://jane:s3cret@host/a.git", "workerCount": 1, "claudeConfigs": "/x"}"#.utf8), file: "c.json")
        } catch {
            #expect("\(error)".contains("field repositoryUrl") && !"\(error)".contains("s3cret"))
        }
    }

    @Test func theTokenComesFromTheEnvironmentOrAFileNeverTheConfig() throws {
        let dir = ScratchDirectory()
        var settings = RemoteSettings()
        settings.tokenEnv = "MY_TOKEN"
        #expect(throws: OrchError.self) { try settings.access(configFile: "c.json", environment: [:]) }
        #expect(try settings.access(configFile: "c.json", environment: ["MY_TOKEN": "abc\n"]).httpToken == "abc")
        settings.tokenEnv = nil
        settings.tokenFile = dir("token")
        let missing = try #require(throws: OrchError.self) { try settings.access(configFile: "c.json", environment: [:]) }
        #expect(missing.message.contains("field remote.tokenFile") && missing.message.contains(dir("token")))
        try "from-file\n".write(toFile: dir("token"), atomically: true, encoding: .utf8)
        let access = try settings.access(configFile: "c.json", environment: [:])
        #expect(access.httpToken == "from-file" && !access.description.contains("from-file"))
        #expect(try RemoteSettings().access(configFile: "c", environment: ["ORCH_GIT_TOKEN": "t"]).httpTokenSource == "$ORCH_GIT_TOKEN")
        var keyed = RemoteSettings()
        keyed.sshKey = dir("nokey")
        #expect(throws: OrchError.self) { try keyed.access(configFile: "c.json", environment: [:]) }
    }

    @Test func instancesCommitUnderTheirOwnName() {
        let jane = GitIdentity.environment(for: .worker(2), base: GitIdentity(name: "Jane Doe", email: "jane@example.com"))
        #expect(jane["GIT_AUTHOR_NAME"] == "Jane Doe (orch worker-2)" && jane["GIT_COMMITTER_EMAIL"] == "jane@example.com")
        let nobody = GitIdentity.environment(for: .manager, base: nil)
        #expect(nobody["GIT_AUTHOR_NAME"] == "orch manager" && nobody["GIT_AUTHOR_EMAIL"] == "manager@orch.invalid")
    }
}

/// The config's `remote` credentials end to end through RemoteSync: ssh with a
/// key file and known_hosts, https with a token file (servers from scripts/git-test-remotes).
@Suite struct RemoteSyncAuthenticationTests {
    @Test func sshAndHttpsRemotesTakeTheTargetWithTheConfiguredCredentials() throws {
        let remotes = try GitTestRemotes()
        try Fixtures.repository(at: remotes.directory("seed"), files: ["PROJECT_DIRECTION.md": "# x\n"])
        for (name, remoteFields) in [
            ("overssh", #""sshKey": "\#(remotes.values["SSH_KEY"]!)", "knownHosts": "\#(remotes.values["KNOWN_HOSTS_HASHED"]!)""#),
            ("overhttp", #""tokenFile": "\#(remotes.values["HTTP_TOKEN_FILE"]!)", "username": "orch""#),
        ] {
            try remotes.bareRepository(name, from: remotes.directory("seed"))
            let url = name == "overssh" ? remotes.sshURL(name) : remotes.httpURL(name)
            let config = try OrchestratorConfig.parse(Data("""
                {"repositoryUrl": "\(url)", "workerCount": 1, "claudeConfigs": "/x/*.json", "remote": {\(remoteFields)}}
                """.utf8), file: "orchestrator.json")
            let layout = StateLayout(root: remotes.directory("state-\(name)"))
            let sync = try RemoteSync(config: config, configFile: "orchestrator.json", layout: layout, environment: [:])
            _ = try Workspace.prepare(repositoryURL: url, target: "main", workerCount: 1, layout: layout, remote: sync)
            try sync.fetch()
            let tip = try git("rev-parse", "main", in: layout.clone)
            #expect(try sync.pushTarget() == .pushed(tip), "\(name)")
            #expect(try git("rev-parse", "main", in: remotes.directory("repos", "\(name).git")) == tip, "\(name)")
            #expect(try sync.pushBranches() == ["orch/manager", "orch/worker-1"], "\(name)")
        }
    }
}

/// `repositoryUrl` naming a person's own repository with `main` checked out (what
/// `orch init` writes): pushed into by compare-and-swap, the clean checkout kept in step.
@Suite struct LocalCheckoutRemoteTests {
    @Test func aCleanCheckoutFollowsADirtyOneHoldsThePushBack() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("work"), files: ["PROJECT_DIRECTION.md": "# x\n", "app.txt": "1\n"])
        let layout = StateLayout(root: dir("state"))
        let config = try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "\#(dir("work"))", "workerCount": 1, "claudeConfigs": "/x"}"#.utf8), file: "c.json")
        let sync = try RemoteSync(config: config, configFile: "c.json", layout: layout, environment: [:])
        _ = try Workspace.prepare(repositoryURL: dir("work"), target: "main", workerCount: 1, layout: layout, remote: sync)
        #expect(try sync.pushTarget() == .pushed(try git("rev-parse", "main", in: layout.clone)))
        #expect(try git("rev-parse", "main", in: dir("work")) == (try git("rev-parse", "main", in: layout.clone)))
        #expect(try git("status", "--porcelain", in: dir("work")) == "", "the checkout moved with main")
        #expect(FileManager.default.fileExists(atPath: dir("work", "WORKER_1_TASK_LIST.md")))
        #expect(try sync.pushBranches() == ["orch/manager", "orch/worker-1"])

        try "1\nmine\n".write(toFile: dir("work", "app.txt"), atomically: true, encoding: .utf8)
        _ = try TaskAssignment(worker: 1, text: "more", branch: "main").commit(to: Repository.open(at: layout.clone))
        let before = try git("rev-parse", "main", in: dir("work"))
        guard case .rejected(let refused) = try sync.pushTarget() else { Issue.record("a dirty checkout refuses the push"); return }
        #expect(refused.contains(dir("work")) && refused.contains("uncommitted changes"), "\(refused)")
        #expect(try git("rev-parse", "main", in: dir("work")) == before)
        #expect(try String(contentsOfFile: dir("work", "app.txt"), encoding: .utf8) == "1\nmine\n", "the person's edit stays")
    }

    @Test func aLocalRemoteThatMovedIsNotOverwritten() throws {
        let dir = ScratchDirectory()
        try Fixtures.repository(at: dir("seed"), files: ["PROJECT_DIRECTION.md": "# x\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("remote.git"), in: dir.path)
        let layout = StateLayout(root: dir("state"))
        let config = try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "file://\#(dir("remote.git"))", "workerCount": 1, "claudeConfigs": "/x"}"#.utf8), file: "c.json")
        let sync = try RemoteSync(config: config, configFile: "c.json", layout: layout, environment: [:])
        _ = try Workspace.prepare(repositoryURL: config.repositoryURL, target: "main", workerCount: 1, layout: layout, remote: sync)
        _ = try sync.pushTarget()
        // A person's commit lands after orch's last look at the remote: orch's push must not drop it.
        let person = try Fixtures.commit(["p.txt": "p\n"], on: "main", message: "person", in: dir("remote.git"))
        _ = try TaskAssignment(worker: 1, text: "orch's", branch: "main").commit(to: Repository.open(at: layout.clone))
        guard case .rejected = try sync.pushTarget() else { Issue.record("expected a refusal"); return }
        #expect(try git("rev-parse", "main", in: dir("remote.git")) == person)
    }
}
