import Foundation
import GitKit
import OrchCore
import Testing
import TestSupport

@Suite struct WorkspaceTests {
    func origin(_ dir: ScratchDirectory, direction: Bool = true) throws -> String {
        var files = ["app.txt": "app\n", "WORKER_2_TASK_LIST.md": "- [ ] T-0001: kept\n"]
        if direction { files["PROJECT_DIRECTION.md"] = "# Direction\n" }
        try Fixtures.repository(at: dir("origin"), files: files)
        return dir("origin")
    }

    @Test func clonesLaysOutBranchesFoldersAndTaskListsAndReusesThemNextTime() throws {
        let dir = ScratchDirectory()
        let layout = StateLayout(root: dir("state"))
        let workspace = try Workspace.prepare(repositoryURL: origin(dir), target: "main", workerCount: 3, layout: layout)
        #expect((try FileManager.default.attributesOfItem(atPath: layout.root))[.posixPermissions] as? Int == 0o700, "the state is the server's alone")
        #expect(workspace.instances.map(\.description) == ["manager", "worker-1", "worker-2", "worker-3"])
        let repo = try Repository.open(at: layout.clone)
        #expect(repo.isBare)
        #expect(try repo.worktrees().isEmpty, "no worktree is linked to orch's clone: each instance clones over the channel")
        let mainTip = try repo.branchTip("main")
        for instance in workspace.instances {
            #expect(try repo.branchTip(instance.branch) != nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: layout.worktree(instance)).isEmpty, "an empty folder for the instance's clone")
        }
        #expect(try repo.isAncestor(try #require(try repo.branchTip("orch/worker-1")), of: try #require(mainTip)))
        let names = try git("ls-tree", "--name-only", "main", in: layout.clone)
        #expect(names.contains("WORKER_1_TASK_LIST.md") && names.contains("WORKER_3_TASK_LIST.md"))
        #expect(try git("show", "main:WORKER_2_TASK_LIST.md", in: layout.clone) == "- [ ] T-0001: kept", "an existing list is left alone")
        #expect(try git("log", "--format=%s", "-1", "main", in: layout.clone) == "orch: task lists for worker 1, 3")

        // A worker's uncommitted work survives a second prepare, which changes nothing.
        try Fixtures.write(["wip.txt": "unsaved"], in: layout.worktree(.worker(2)))
        let refs = try git("for-each-ref", in: layout.clone)
        _ = try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 3, layout: layout)
        #expect(try git("for-each-ref", in: layout.clone) == refs)
        #expect(FileManager.default.fileExists(atPath: layout.worktree(.worker(2)) + "/wip.txt"))
    }

    @Test func aVanishedFolderComesBackAndTheBranchKeepsItsWork() throws {
        let dir = ScratchDirectory()
        let layout = StateLayout(root: dir("state"))
        _ = try Workspace.prepare(repositoryURL: origin(dir), target: "main", workerCount: 1, layout: layout)
        let clone = try Fixtures.instanceClone(of: "orch/worker-1", from: layout.clone, at: layout.worktree(.worker(1)))
        try Fixtures.write(["done.txt": "x"], in: clone)
        try git("add", "done.txt", in: clone)
        try git("commit", "-q", "-m", "work", in: clone)
        try Fixtures.handBack("orch/worker-1", from: clone)
        let tip = try git("rev-parse", "orch/worker-1", in: layout.clone)
        try FileManager.default.removeItem(atPath: clone)
        _ = try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 1, layout: layout)
        #expect(FileManager.default.fileExists(atPath: layout.worktree(.worker(1))))
        #expect(try git("rev-parse", "orch/worker-1", in: layout.clone) == tip)
    }

    @Test func aWorktreeLinkedByAnOlderOrchIsRefusedNamingItAndKept() throws {
        let dir = ScratchDirectory()
        let layout = StateLayout(root: dir("state"))
        _ = try Workspace.prepare(repositoryURL: origin(dir), target: "main", workerCount: 1, layout: layout)
        try FileManager.default.removeItem(atPath: layout.worktree(.worker(1)))
        try git("worktree", "add", "-q", layout.worktree(.worker(1)), "orch/worker-1", in: layout.clone)
        try Fixtures.write(["wip.txt": "unsaved"], in: layout.worktree(.worker(1)))
        #expect {
            try Workspace.prepare(repositoryURL: dir("origin"), target: "main", workerCount: 1, layout: layout)
        } throws: { ($0 as! OrchError).message.contains("\(layout.worktree(.worker(1))) is a worktree linked to") }
        #expect(FileManager.default.fileExists(atPath: layout.worktree(.worker(1)) + "/wip.txt"))
    }

    @Test func missingPrerequisitesSayHowToFixThem() throws {
        let dir = ScratchDirectory()
        let url = try origin(dir, direction: false)
        #expect {
            try Workspace.prepare(repositoryURL: url, target: "main", workerCount: 1, layout: StateLayout(root: dir("s1")))
        } throws: { ($0 as! OrchError).message.contains("no PROJECT_DIRECTION.md on main; run `orch init`") }
        #expect {
            try Workspace.prepare(repositoryURL: url, target: "trunk", workerCount: 1, layout: StateLayout(root: dir("s2")))
        } throws: { ($0 as! OrchError).message.contains("has no branch trunk") }
        #expect {
            try Workspace.prepare(repositoryURL: dir("nothing"), target: "main", workerCount: 1, layout: StateLayout(root: dir("s3")))
        } throws: { ($0 as! OrchError).message.contains("cannot clone repositoryUrl") }
        #expect(!FileManager.default.fileExists(atPath: dir("s3", "repo.git")))
    }

    @Test func theStateLockNamesTheHoldersPid() throws {
        let dir = ScratchDirectory()
        let layout = StateLayout(root: dir("state"))
        do {
            let first = try StateLock(path: layout.lock)
            // flock locks belong to the open file description, so a second open in
            // this process conflicts just as another process would.
            #expect {
                try StateLock(path: layout.lock)
            } throws: { ($0 as! OrchError).message.contains("another orch serve (pid \(getpid()))") }
            withExtendedLifetime(first) {}
        }
        // Released with the first holder.
        #expect(throws: Never.self) { _ = try StateLock(path: layout.lock) }
    }

    @Test func namesAndPaths() {
        #expect(InstanceName("worker-12") == .worker(12))
        #expect(InstanceName("worker-0") == nil)
        #expect(InstanceName.worker(3).branch == "orch/worker-3")
        #expect(StateLayout.repositoryName(of: "git@host:team/app.git") == "app")
        #expect(StateLayout.repositoryName(of: "/srv/app/") == "app")
        #expect(StateLayout.defaultRoot(for: "https://h/x/app.git", environment: ["XDG_STATE_HOME": "/st", "HOME": "/h"]) == "/st/orch/app")
        #expect(StateLayout.defaultRoot(for: "/srv/app", environment: ["HOME": "/h"]) == "/h/.local/state/orch/app")
    }
}

@Suite struct InstanceHomeTests {
    @Test func writesSettingsTrustAndItsOwnCredentialCopy() throws {
        let dir = ScratchDirectory()
        try Fixtures.write([
            "creds/key.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-api-0123456789abcdefghijKLMNOPQRST"}}"#,
            "creds/oauth.json": #"{"claudeAiOauth": {"accessToken": "tok", "refreshToken": "r", "expiresAt": 1}}"#,
        ], in: dir.path)
        let layout = StateLayout(root: dir("state"))
        let home = InstanceHome(instance: .worker(1), layout: layout)
        try home.write(credential: CredentialFile.load(path: dir("creds", "key.json")), prompt: "do the tasks")

        let settings = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: home.claudeDirectory + "/settings.json"))) as! [String: Any]
        #expect(settings["skipDangerousModePermissionPrompt"] as? Bool == true)
        #expect(settings["autoContinueAtUsageLimit"] as? Bool == false, "orch rotates or pauses; the client must not wait by itself")
        #expect(settings["hooks"] == nil, "the hooks are the image's managed settings")
        let managed = try JSONSerialization.jsonObject(with: InstanceImage.managedSettings()) as! [String: Any]
        #expect(managed["allowManagedHooksOnly"] as? Bool == true)
        let hooks = managed["hooks"] as! [String: Any]
        #expect(Set(hooks.keys) == Set(InstanceHome.hookEvents))
        #expect(String(describing: hooks["Stop"]!).contains("/usr/local/bin/orch-hook Stop"))

        // `"hooks": "http"`: Claude Code posts each event itself with the token from its environment, but SessionStart.
        let http = try JSONSerialization.jsonObject(with: InstanceImage.managedSettings(httpEndpoint: "http://172.17.0.1:7431")) as! [String: Any]
        let httpHooks = http["hooks"] as! [String: [[String: Any]]]
        let stop = (httpHooks["Stop"]![0]["hooks"] as! [[String: Any]])[0]
        #expect(stop["type"] as? String == "http" && stop["url"] as? String == "http://172.17.0.1:7431/hook/Stop")
        #expect(stop["headers"] as? [String: String] == ["Authorization": "Bearer $ORCH_TOKEN", "Orch-Hook": "http"] && stop["allowedEnvVars"] as? [String] == ["ORCH_TOKEN"])
        let start = (httpHooks["SessionStart"]![0]["hooks"] as! [[String: Any]])[0]
        #expect(start["type"] as? String == "command" && start["command"] as? String == "/usr/local/bin/orch-hook SessionStart")
        #expect(http["allowManagedHooksOnly"] as? Bool == true && http["allowedHttpHookUrls"] as? [String] == ["http://172.17.0.1:7431/hook/*"])
        #expect(http["httpHookAllowedEnvVars"] as? [String] == ["ORCH_TOKEN"])
        #expect((settings["env"] as? [String: String])?["ANTHROPIC_API_KEY"]?.hasPrefix("sk-ant-api") == true)

        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: home.path + "/.claude.json"))) as! [String: Any]
        #expect(state["hasCompletedOnboarding"] as? Bool == true)
        #expect(((state["projects"] as! [String: Any])[layout.worktree(.worker(1))] as! [String: Bool])["hasTrustDialogAccepted"] == true)
        #expect((state["customApiKeyResponses"] as! [String: [String]])["approved"] == ["abcdefghijKLMNOPQRST"])
        for file in ["/.claude/settings.json", "/.claude.json", "/.orch/prompt.md"] {
            let mode = try FileManager.default.attributesOfItem(atPath: home.path + file)[.posixPermissions] as! Int
            #expect(mode == 0o600, "\(file)")
        }

        // Rotating to an OAuth file swaps the credential and drops the key from settings.
        try home.write(credential: CredentialFile.load(path: dir("creds", "oauth.json")), prompt: "do the tasks")
        #expect(FileManager.default.contents(atPath: home.claudeDirectory + "/.credentials.json") == FileManager.default.contents(atPath: dir("creds", "oauth.json")))
        let rotated = try String(contentsOfFile: home.claudeDirectory + "/settings.json", encoding: .utf8)
        #expect(!rotated.contains("sk-ant-api"))
    }
}
