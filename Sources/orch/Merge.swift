import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime
import OrchServer

struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge worker branches into the target and tick their finished tasks.",
        discussion: """
            Exit 0 when everything merged (or was merged already, or is queued), 1 on a conflict or a failed merge \
            check: the target is left as it was for that branch and the conflicted paths are printed, one a line. \
            With a mergeCheck in the run's orchestrator.json, branches go through the merge queue: each merge is \
            checked before the target moves, one check at a time.
            """
    )

    @Argument(help: ArgumentHelp("Branches to merge: worker-N, manager, or a branch name.", valueName: "worker-N"))
    var branches: [String] = []

    @Flag(help: "Merge every orch/worker-N branch.")
    var all = false

    @Flag(help: "With a merge check: queue the branches and return at once (orch status shows the queue).")
    var enqueue = false

    @Option(help: ArgumentHelp("A run's config directory: merge through its server (or, while it is down, on its clone), with its mergeCheck.",
                               valueName: "dir"))
    var config: String?

    @Option(help: ArgumentHelp("With --config: the run's state directory, when orch serve was given --state.", valueName: "dir"))
    var state: String?

    @OptionGroup var repository: RepositoryOptions

    func validate() throws {
        if all && !branches.isEmpty { throw ValidationError("give branch names or --all, not both") }
        if !all && branches.isEmpty { throw ValidationError("name the branches to merge (e.g. worker-1) or pass --all") }
        if config != nil && repository.repositoryPath != nil { throw ValidationError("give --config or --repo, not both") }
        if state != nil && config == nil { throw ValidationError("--state goes with --config") }
    }

    func run() async throws {
        let reply: ChannelCommand.MergeReply
        let request = ChannelCommand.MergeRequest(branches: branches, all: all, enqueue: enqueue)
        if let config {
            reply = try await OperatorMerge(configDirectory: config, stateDirectory: state).merge(request)
        } else if let server = repository.channel() {
            // The server merges what it holds: the manager's own commits go there first.
            if let clone = InstanceClone.fromEnvironment(), clone.exists, case .failed(let why) = await clone.handBack() {
                FileHandle.standardError.write(Data("orch: cannot hand \(clone.instance.branch) to the server: \(why)\n".utf8))
            }
            reply = try await server.merge(request)
        } else {
            let repo = try repository.open()
            let names = try BranchMerge.branches(named: branches, all: all, in: repo)
            reply = .init(target: repository.branch, results: try BranchMerge(target: repository.branch).reports(merging: names, in: repo))
        }
        try Self.print(reply)
    }

    /// Prints each branch's line; the exit code says the worst: 2 refused, 1 conflicted or failed its check.
    static func print(_ reply: ChannelCommand.MergeReply) throws {
        var conflicted: [String] = []
        var failed = false
        var refused = false
        for result in reply.results {
            switch result.kind {
            case .conflicted:
                conflicted += result.paths
                FileHandle.standardError.write(Data("orch: \(result.branch) conflicts with \(reply.target), which is unchanged; conflicted paths:\n".utf8))
            case .checkFailed:
                failed = true
                if let log = result.log, !log.isEmpty {
                    FileHandle.standardError.write(Data("orch: the merge check's output for \(result.branch) ends with:\n\(log)\n".utf8))
                }
            case .refused: refused = true
            default: break
            }
            Swift.print(result.line(target: reply.target))
        }
        if refused { throw ExitCode(OrchError.Code.usage.exitCode) }
        // The paths are printed already: only the exit code is left to say.
        if !conflicted.isEmpty { throw ExitCode(OrchError.Code.conflict(paths: conflicted).exitCode) }
        if failed { throw ExitCode(1) }
    }
}
