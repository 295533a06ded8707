import Foundation
import GitKit
import Testing
import TestSupport

/// Fetch and push through libgit2's callbacks against real servers on loopback
/// (scripts/git-test-remotes: Debian's sshd with an agent, lighttpd with
/// `git http-backend` and a token) and a bare repository over file://.
/// Serialized: the agent is found through the process-wide `$SSH_AUTH_SOCK`.
@Suite(.serialized) struct RemoteTests {
    let remotes: GitTestRemotes
    let seed: String

    init() throws {
        remotes = try GitTestRemotes()
        seed = remotes.directory("seed")
        try Fixtures.repository(at: seed, files: ["a.txt": "one\n"])
    }

    /// A local clone of `url` with one new commit on main, ready to push.
    func cloneWithCommit(_ url: String, access: RemoteAccess, name: String) throws -> (Repository, ObjectID) {
        let repository = try Repository.clone(from: url, to: remotes.directory(name), access: access)
        let commit = try Fixtures.commit(["b.txt": "\(name)\n"], on: "main", message: "from \(name)", in: remotes.directory(name))
        return (repository, try #require(ObjectID(hex: commit)))
    }

    func remoteMain(_ name: String) throws -> String {
        try git("rev-parse", "main", in: remotes.directory("repos", "\(name).git"))
    }

    @Test func fileRemoteTakesFastForwardsAndRefusesTheRest() throws {
        let bare = try remotes.bareRepository("plain", from: seed)
        let access = RemoteAccess(knownHosts: "/nonexistent")
        let (one, tip) = try cloneWithCommit("file://" + bare, access: access, name: "one")
        try one.push(to: "file://" + bare, refspecs: ["refs/heads/main:refs/heads/main"], access: access)
        #expect(try remoteMain("plain") == tip.hex)

        let other = try Repository.clone(from: seed, to: remotes.directory("other"))
        _ = other
        try Fixtures.commit(["c.txt": "diverged\n"], on: "main", message: "diverged", in: remotes.directory("other"))
        let diverged = try Repository.open(at: remotes.directory("other"))
        let refused = try #require(throws: GitError.self) {
            try diverged.push(to: "file://" + bare, refspecs: ["refs/heads/main:refs/heads/main"], access: access)
        }
        #expect(refused.code == .rejected, "\(refused)")
        #expect(try remoteMain("plain") == tip.hex, "a refused push leaves the remote alone")
        try diverged.push(to: "file://" + bare, refspecs: ["+refs/heads/main:refs/heads/orch/worker-1"], access: access)
        try one.fetch(from: "file://" + bare, refspecs: ["+refs/heads/orch/worker-1:refs/remotes/origin/orch/worker-1"], access: access)
        #expect(try one.referenceTarget("refs/remotes/origin/orch/worker-1")?.hex == (try git("rev-parse", "main", in: remotes.directory("other"))))
    }

    @Test func sshWithAKeyFileAndKnownHosts() throws {
        try remotes.bareRepository("keyed", from: seed)
        for knownHosts in [remotes.values["KNOWN_HOSTS"]!, remotes.values["KNOWN_HOSTS_HASHED"]!] {
            let access = RemoteAccess(sshKey: remotes.values["SSH_KEY"]!, knownHosts: knownHosts)
            let name = "keyed-\(knownHosts.hasSuffix("hashed") ? "hashed" : "plain")"
            let (clone, tip) = try cloneWithCommit(remotes.sshURL("keyed"), access: access, name: name)
            try clone.push(to: remotes.sshURL("keyed"), refspecs: ["+refs/heads/main:refs/heads/main"], access: access)
            #expect(try remoteMain("keyed") == tip.hex)
            try clone.fetch(from: remotes.sshURL("keyed"), refspecs: ["+refs/heads/main:refs/remotes/origin/main"], access: access)
            #expect(try clone.referenceTarget("refs/remotes/origin/main") == tip)
        }
    }

    @Test func sshThroughTheAgent() throws {
        try remotes.bareRepository("agent", from: seed)
        let access = RemoteAccess(knownHosts: remotes.values["KNOWN_HOSTS"]!)
        let previous = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"]
        setenv("SSH_AUTH_SOCK", remotes.values["SSH_AUTH_SOCK"]!, 1)
        defer { if let previous { setenv("SSH_AUTH_SOCK", previous, 1) } else { unsetenv("SSH_AUTH_SOCK") } }
        let (clone, tip) = try cloneWithCommit(remotes.sshURL("agent"), access: access, name: "agent")
        try clone.push(to: remotes.sshURL("agent"), refspecs: ["refs/heads/main:refs/heads/main"], access: access)
        #expect(try remoteMain("agent") == tip.hex)

        unsetenv("SSH_AUTH_SOCK")
        let error = try #require(throws: GitError.self) { try clone.fetch(from: remotes.sshURL("agent"), refspecs: [], access: access) }
        #expect(error.code == .authentication && error.message.contains("SSH_AUTH_SOCK") && error.message.contains(remotes.sshURL("agent")), "\(error)")
    }

    @Test func sshHostKeysNotInKnownHostsAreRefusedNamingTheHost() throws {
        try remotes.bareRepository("hosts", from: seed)
        let port = remotes.values["SSH_PORT"]!
        let empty = remotes.directory("empty_known_hosts")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let cases: [(String, String)] = [
            (remotes.values["KNOWN_HOSTS_WRONG"]!, "sent an ssh-ed25519 host key that does not match"),
            (empty, "offered an ssh-ed25519 host key, which is not in \(empty); check it and add it (e.g. `ssh-keyscan -t ed25519 -p \(port) 127.0.0.1"),
            (remotes.directory("missing"), "cannot read the known_hosts file"),
        ]
        for (knownHosts, expected) in cases {
            let access = RemoteAccess(sshKey: remotes.values["SSH_KEY"]!, knownHosts: knownHosts)
            let error = try #require(throws: GitError.self) {
                try Repository.clone(from: remotes.sshURL("hosts"), to: remotes.directory("refused-\(expected.count)"), access: access)
            }
            #expect(error.code == .hostKey && error.message.contains("[127.0.0.1]:\(port)") && error.message.contains(expected), "\(error)")
        }
    }

    @Test func knownHostsLinesLibssh2CannotReadAreSkippedNotFatal() throws {
        try remotes.bareRepository("messy", from: seed)
        let messy = remotes.directory("messy_known_hosts")
        let entry = try String(contentsOfFile: remotes.values["KNOWN_HOSTS_HASHED"]!, encoding: .utf8)
        try ("# a comment\n@cert-authority *.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
            + "garbage line\nexample.com ssh-unknown-type AAAA\n" + entry).write(toFile: messy, atomically: true, encoding: .utf8)
        let access = RemoteAccess(sshKey: remotes.values["SSH_KEY"]!, knownHosts: messy)
        _ = try Repository.clone(from: remotes.sshURL("messy"), to: remotes.directory("messy-clone"), access: access)
    }

    @Test func aServerSideRefusalIsARejection() throws {
        let bare = try remotes.bareRepository("guarded", from: seed)
        try "#!/bin/sh\necho 'main is protected' >&2\nexit 1\n".write(toFile: bare + "/hooks/pre-receive", atomically: true, encoding: .utf8)
        try run("chmod", ["755", bare + "/hooks/pre-receive"])
        let access = RemoteAccess(sshKey: remotes.values["SSH_KEY"]!, knownHosts: remotes.values["KNOWN_HOSTS"]!)
        let (clone, _) = try cloneWithCommit(remotes.sshURL("guarded"), access: access, name: "guarded")
        let error = try #require(throws: GitError.self) {
            try clone.push(to: remotes.sshURL("guarded"), refspecs: ["refs/heads/main:refs/heads/main"], access: access)
        }
        #expect(error.code == .rejected && error.message.contains("refs/heads/main"), "\(error)")
        #expect(try remoteMain("guarded") == (try git("rev-parse", "main", in: seed)))
    }

    @Test func aWrongSshKeyNamesTheRemoteAndTheKey() throws {
        try remotes.bareRepository("wrongkey", from: seed)
        let stranger = remotes.directory("stranger")
        try run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger])
        let access = RemoteAccess(sshKey: stranger, knownHosts: remotes.values["KNOWN_HOSTS"]!)
        let error = try #require(throws: GitError.self) {
            try Repository.clone(from: remotes.sshURL("wrongkey"), to: remotes.directory("nope"), access: access)
        }
        #expect(error.code == .authentication && error.message.contains(remotes.sshURL("wrongkey")) && error.message.contains("ssh key \(stranger)"), "\(error)")
    }

    @Test func httpsWithAToken() throws {
        try remotes.bareRepository("web", from: seed)
        let token = remotes.token
        let access = RemoteAccess(knownHosts: "/nonexistent", httpUser: "orch", httpToken: token, httpTokenSource: "$TEST_TOKEN")
        let (clone, tip) = try cloneWithCommit(remotes.httpURL("web"), access: access, name: "web")
        try clone.push(to: remotes.httpURL("web"), refspecs: ["refs/heads/main:refs/heads/main"], access: access)
        #expect(try remoteMain("web") == tip.hex)

        var wrong = access
        wrong.httpToken = "not-the-token-" + String(token.reversed())
        let refused = try #require(throws: GitError.self) { try clone.fetch(from: remotes.httpURL("web"), refspecs: [], access: wrong) }
        #expect(refused.code == .authentication && refused.message.contains(remotes.httpURL("web")) && refused.message.contains("$TEST_TOKEN"), "\(refused)")
        #expect(!refused.description.contains(wrong.httpToken!) && !refused.description.contains(token))

        let none = RemoteAccess(knownHosts: "/nonexistent")
        let missing = try #require(throws: GitError.self) { try clone.fetch(from: remotes.httpURL("web"), refspecs: [], access: none) }
        #expect(missing.code == .authentication && missing.message.contains("no token"), "\(missing)")
    }
}
