import ArgumentParser
import Foundation
import OrchCore

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge worker branches into the target and tick their finished tasks.",
        discussion: """
            Exit 0 when everything merged (or was merged already), 1 on a conflict: the \
            target is left as it was for that branch and the conflicted paths are printed, one a line.
            """
    )

    @Argument(help: ArgumentHelp("Branches to merge: worker-N, manager, or a branch name.", valueName: "worker-N"))
    var branches: [String] = []

    @Flag(help: "Merge every orch/worker-N branch.")
    var all = false

    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        if all && !branches.isEmpty { throw ValidationError("give branch names or --all, not both") }
        if !all && branches.isEmpty { throw ValidationError("name the branches to merge (e.g. worker-1) or pass --all") }
    }

    func run() throws {
        let repo = try repository.open()
        let names = all ? try BranchMerge.workerBranches(in: repo) : branches.map(BranchMerge.branchName(for:))
        let merge = BranchMerge(target: repository.branch)
        var conflicted: [String] = []
        for branch in names {
            switch try merge.merge(branch, in: repo) {
            case .upToDate:
                print("\(branch): already merged into \(merge.target)")
            case .fastForwarded(let commit, let ticked):
                print("\(branch): fast-forwarded \(merge.target) to \(commit.hex.prefix(12))\(Self.describe(ticked))")
            case .merged(let commit, let ticked):
                print("\(branch): merged into \(merge.target) as \(commit.hex.prefix(12))\(Self.describe(ticked))")
            case .conflicted(let conflicts):
                conflicted += conflicts.map(\.path)
                FileHandle.standardError.write(Data("orch: \(branch) conflicts with \(merge.target), which is unchanged; conflicted paths:\n".utf8))
                for conflict in conflicts { print(conflict.path) }
            }
        }
        // The paths are printed already: only the exit code is left to say.
        if !conflicted.isEmpty { throw ExitCode(OrchError.Code.conflict(paths: conflicted).exitCode) }
    }

    static func describe(_ ticked: [TaskID]) -> String {
        ticked.isEmpty ? "" : " (done: \(ticked.map(\.description).joined(separator: ", ")))"
    }
}
