import ArgumentParser
import Foundation
import OrchRuntime

struct Checkout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Clone this instance's branch from the orch server into its folder, or bring the clone up to date (run inside containers).",
        discussion: """
            Reads ORCH_WORKTREE, ORCH_URL, ORCH_INSTANCE and ORCH_TARGET (set in every container). The clone's origin is the \
            server: its branches are origin/…, the target is kept as a local branch, and the user's repository as upstream/…. \
            Retries for \(Int(Self.budgetSeconds)) s while the server starts.
            """
    )

    static let budgetSeconds = 30.0

    @Flag(help: "Only hand the branch back to the server (what git's hooks in the clone run with \"hooks\": \"http\").")
    var handBack = false

    func run() async throws {
        guard let clone = InstanceClone.fromEnvironment() else {
            throw ValidationError("ORCH_WORKTREE, ORCH_URL, ORCH_INSTANCE and ORCH_TARGET must be set (orch sets them in every container)")
        }
        if handBack {
            // Run by git after a commit: a failure is said, never an error (the commit is made; the next one tries again).
            if case .failed(let why) = await clone.handBackFromGitHook() {
                warn("\(clone.instance.branch) is not on the server yet: \(why)")
            }
            return
        }
        // A clone that is there is the instance's work: failing to bring it up to date (a merge in progress,
        // the server still starting) must not keep Claude from starting; its hooks take the server's branch later.
        if clone.exists {
            do {
                if case .blocked(let why) = try await clone.checkout() {
                    warn("your clone stays as it is: \(why). Commit or stash what is in the way, then run `orch checkout` again.")
                }
            } catch {
                warn("the clone stays as it is: \(error)")
            }
            return
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(Self.budgetSeconds)
        while true {
            do {
                _ = try await clone.checkout()
                return
            } catch {
                guard clock.now < deadline else { throw error }
                FileHandle.standardError.write(Data("orch checkout: \(error); trying again\n".utf8))
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("orch checkout: \(text)\n".utf8))
    }
}
