import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime

struct Merge: AsyncParsableCommand {
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

    func run() async throws {
        let reply: ChannelCommand.MergeReply
        if let server = repository.channel() {
            // The server merges what it holds: the manager's own commits go there first.
            if let clone = InstanceClone.fromEnvironment(), clone.exists, case .failed(let why) = await clone.handBack() {
                FileHandle.standardError.write(Data("orch: cannot hand \(clone.instance.branch) to the server: \(why)\n".utf8))
            }
            reply = try await server.command("merge", ChannelCommand.MergeRequest(branches: branches, all: all), reply: ChannelCommand.MergeReply.self)
        } else {
            let repo = try repository.open()
            let names = all ? try BranchMerge.workerBranches(in: repo) : branches.map(BranchMerge.branchName(for:))
            let merge = BranchMerge(target: repository.branch)
            reply = .init(target: merge.target, results: try names.map { MergeReport(branch: $0, outcome: try merge.merge($0, in: repo)) })
        }
        var conflicted: [String] = []
        for result in reply.results {
            if result.kind == .conflicted {
                conflicted += result.paths
                FileHandle.standardError.write(Data("orch: \(result.branch) conflicts with \(reply.target), which is unchanged; conflicted paths:\n".utf8))
            }
            print(result.line(target: reply.target))
        }
        // The paths are printed already: only the exit code is left to say.
        if !conflicted.isEmpty { throw ExitCode(OrchError.Code.conflict(paths: conflicted).exitCode) }
    }
}
