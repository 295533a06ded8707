import Foundation
import OrchCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// An instance's own clone, inside its container: fetched from the server
/// over the channel (`$ORCH_URL/git/repo.git`) and handed back the same way,
/// so it works alike on the server's machine and on any other. The server
/// never opens it; the instance may do anything to it and still moves only
/// its own branch on the server.
///
/// Its `origin` is the server: `origin/orch/worker-2` and the rest are the
/// server's branches, the local target branch follows the server's, and
/// `upstream/<target>` is the user's repository as the server last fetched it.
///
/// ```swift
/// let clone = InstanceClone(path: "/state/worktrees/worker-2", url: url, instance: .worker(2), target: "main")
/// try await clone.checkout()            // at the container's start
/// _ = try await clone.handBack()        // before a Stop event
/// _ = try await clone.takeServerBranch() // after the server merged the target in
/// ```
public struct InstanceClone: Sendable {
    /// What handing the branch back did.
    public enum HandBack: Sendable, Equatable {
        /// Nothing new here since the server last had the branch: no push was needed.
        case nothingNew
        /// The server holds the branch as it is here.
        case pushed
        /// The server's branch had moved on: it was merged in here first, then pushed.
        case mergedThenPushed
        /// It could not be handed back; why.
        case failed(String)
    }

    /// What taking the server's branch did.
    public enum Take: Sendable, Equatable {
        /// Nothing new, or the local branch is ahead.
        case upToDate
        /// The local branch and files moved to the server's.
        case fastForwarded
        /// Local changes (or a checked-out other branch) are in the way; what git said.
        case blocked(String)
    }

    public let path: String
    /// The clone's URL on the server.
    public let url: String
    public let instance: InstanceName
    public let target: String
    /// The command git runs after every commit, merge and rewrite in the clone to hand the branch back; nil for none.
    /// With Claude Code's own HTTP hooks no orch process runs before a Stop, so commits go to the server as they are made.
    public var handBackCommand: String?

    /// The variable that tells a container how its hook events travel (`channel.hooks`).
    public static let hooksVariable = "ORCH_HOOKS"

    public init(path: String, url: String, instance: InstanceName, target: String, handBackCommand: String? = nil) {
        self.path = path
        self.url = url
        self.instance = instance
        self.target = target
        self.handBackCommand = handBackCommand
    }

    /// The clone the container's environment describes (`ORCH_WORKTREE`, `ORCH_URL`, `ORCH_INSTANCE`, `ORCH_TARGET`,
    /// and `ORCH_HOOKS=http`, which makes `orch` (this executable) hand the branch back from git's own hooks).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> InstanceClone? {
        guard let path = environment["ORCH_WORKTREE"], !path.isEmpty, let base = environment["ORCH_URL"], !base.isEmpty,
              let instance = environment["ORCH_INSTANCE"].flatMap({ InstanceName($0) }), let target = environment["ORCH_TARGET"], !target.isEmpty
        else { return nil }
        let handBack = environment[hooksVariable] == ChannelSettings.HookTransport.http.rawValue
            ? Bundle.main.executablePath.map { "'\($0)' checkout --hand-back" } : nil
        return InstanceClone(path: path, url: base + GitHTTPBackend.urlPath, instance: instance, target: target, handBackCommand: handBack)
    }

    /// git's hooks that hand the branch back as it moves.
    static let handBackHooks = ["post-commit", "post-merge", "post-rewrite"]

    /// Whether the clone has been made.
    public var exists: Bool { FileManager.default.fileExists(atPath: path + "/.git/HEAD") }

    /// Makes the clone on the instance's branch, or brings a clone that is there up to date.
    /// - Returns: what taking the server's branch did (a new clone is ``Take/fastForwarded``).
    /// - Throws: ``RuntimeError`` when git fails.
    @discardableResult
    public func checkout() async throws -> Take {
        if !exists {
            let initialized = try await run(["init", "-q", path], in: nil)
            guard initialized.succeeded else { throw RuntimeError(code: .commandFailed, command: ["git", "init", path], message: initialized.message) }
            try await git("symbolic-ref", "HEAD", "refs/heads/\(instance.branch)")
            try await git("remote", "add", "origin", url)
            try await git("config", "--add", "remote.origin.fetch", "+refs/heads/\(target):refs/heads/\(target)")
            try await git("config", "--add", "remote.origin.fetch", "+refs/remotes/origin/*:refs/remotes/upstream/*")
        }
        try installHandBackHooks()
        try await git("fetch", "-q", "origin")
        if try await run("rev-parse", "-q", "--verify", "HEAD^{commit}").succeeded {
            return try await takeServerBranch(fetch: false)
        }
        try await git("checkout", "-q", "-B", instance.branch, "refs/remotes/origin/\(instance.branch)")
        return .fastForwarded
    }

    /// Writes (or, without a hand-back command, removes) git's hooks that hand the branch back.
    /// They are the instance's own, in its own clone: switching them off keeps only its own work from the server.
    private func installHandBackHooks() throws {
        let hooks = path + "/.git/hooks"
        for name in Self.handBackHooks {
            let file = hooks + "/" + name
            guard let command = handBackCommand else {
                if (try? String(contentsOfFile: file, encoding: .utf8))?.contains("checkout --hand-back") == true { try? FileManager.default.removeItem(atPath: file) }
                continue
            }
            try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            try "#!/bin/sh\n# orch: hands \(instance.branch) back to the server as it moves.\nexec \(command)\n".write(toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file)
        }
    }

    /// What git's hooks in the clone run after a commit, a merge or a rewrite: the hand-back, but only with the
    /// instance's branch checked out and no rebase, cherry-pick or revert half-way (git runs `post-commit` for each
    /// of their commits, on a detached HEAD; `post-rewrite` hands the result back once they end).
    public func handBackFromGitHook() async -> HandBack {
        let gitDirectory = path + "/.git"
        for unfinished in ["rebase-merge", "rebase-apply", "sequencer"] where FileManager.default.fileExists(atPath: "\(gitDirectory)/\(unfinished)") {
            return .nothingNew
        }
        guard let head = try? await run("symbolic-ref", "-q", "HEAD"),
              head.output.trimmingCharacters(in: .whitespacesAndNewlines) == "refs/heads/\(instance.branch)" else { return .nothingNew }
        return await handBack()
    }

    /// Pushes the instance's branch to the server; when the server's moved on meanwhile, merges it in first.
    public func handBack() async -> HandBack {
        do {
            // Most Stops bring no commit: the remote-tracking ref (moved by every push and fetch) says so without a round trip.
            let tips = try await run("rev-parse", "refs/heads/\(instance.branch)", "refs/remotes/origin/\(instance.branch)")
            let lines = tips.output.split(separator: "\n")
            if tips.succeeded, lines.count == 2, lines[0] == lines[1] { return .nothingNew }
            let first = try await push()
            guard !first.succeeded else { return .pushed }
            guard first.output.contains("[rejected]") || first.output.contains("non-fast-forward") || first.output.contains("fetch first") else {
                return .failed(first.message)
            }
            try await git("fetch", "-q", "origin")
            let merge = try await run("merge", "-q", "--no-edit", "refs/remotes/origin/\(instance.branch)")
            guard merge.succeeded else {
                _ = try? await run("merge", "--abort")
                return .failed("the server's \(instance.branch) does not merge into yours: \(merge.message)")
            }
            let second = try await push()
            return second.succeeded ? .mergedThenPushed : .failed(second.message)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Takes the server's branch when it is ahead (the target merged in): a fast-forward that keeps local edits.
    /// - Throws: ``RuntimeError`` when git cannot run.
    public func takeServerBranch(fetch: Bool = true) async throws -> Take {
        if fetch { try await git("fetch", "-q", "origin") }
        let server = "refs/remotes/origin/\(instance.branch)"
        let head = try await run("symbolic-ref", "-q", "HEAD").output.trimmingCharacters(in: .whitespacesAndNewlines)
        if try await run("merge-base", "--is-ancestor", server, "HEAD").succeeded { return .upToDate }
        guard head == "refs/heads/\(instance.branch)" else {
            return .blocked("\(head.isEmpty ? "a detached HEAD" : head) is checked out, not \(instance.branch)")
        }
        let merge = try await run("merge", "-q", "--ff-only", server)
        return merge.succeeded ? .fastForwarded : .blocked(merge.message)
    }

    private func push() async throws -> Outcome {
        try await run("push", "--porcelain", "origin", "refs/heads/\(instance.branch):refs/heads/\(instance.branch)")
    }

    struct Outcome {
        var succeeded: Bool
        var output: String
        var error: String
        var message: String { (error + output).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").suffix(4).joined(separator: "; ") }
    }

    @discardableResult
    private func git(_ arguments: String...) async throws -> Outcome {
        let outcome = try await run(arguments, in: path)
        guard outcome.succeeded else {
            throw RuntimeError(code: .commandFailed, command: ["git"] + arguments, message: outcome.message)
        }
        return outcome
    }

    private func run(_ arguments: String...) async throws -> Outcome {
        try await run(arguments, in: path)
    }

    // A stalled server must not hold a hook for its whole budget: git gives up on a transfer slower than 1 B/s for 10 s.
    private func run(_ arguments: [String], in directory: String?) async throws -> Outcome {
        let options = ["-c", "http.lowSpeedLimit=1", "-c", "http.lowSpeedTime=10", "-c", "core.hooksPath=/dev/null"]
        let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
        do {
            result = try await Subprocess.run(.name("git"), arguments: Arguments((directory.map { ["-C", $0] } ?? []) + options + arguments),
                                              output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        } catch {
            throw RuntimeError(code: .programMissing, command: ["git"] + arguments, message: "cannot run git: \(error)")
        }
        return Outcome(succeeded: result.terminationStatus.isSuccess, output: result.standardOutput, error: result.standardError)
    }
}
