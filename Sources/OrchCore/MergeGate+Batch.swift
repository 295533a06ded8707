import Foundation
import GitKit

/// One batch through the gate: plan, check, land or bisect.
extension MergeGate {
    /// A batch's merges chained on the target as it was read.
    struct Planned: Sendable {
        struct Member: Sendable {
            var entry: MergeQueue.Entry
            var commit: ObjectID
            var isFastForward: Bool
            var ticked: [TaskID]
            var tip: ObjectID
        }
        var base: ObjectID
        var members: [Member] = []
        var tip: ObjectID { members.last?.commit ?? base }
    }

    /// Gates entries merged together; a failure splits them until the branch that breaks it is found.
    func gate(_ entries: [MergeQueue.Entry]) async throws {
        for _ in 0..<20 {
            let planned = try await git.run { try self.plan(entries) }
            guard !planned.members.isEmpty else { return }
            let run = try await check(planned)
            if run.passed {
                if try await git.run({ try self.land(planned) }) { return }
                continue  // the target moved meanwhile: merge again on top of it (an unchanged tree is not checked again)
            }
            let members = planned.members.map(\.entry)
            if members.count == 1 {
                try await git.run { try self.fail(planned.members[0], run: run) }
                return
            }
            let half = members.count / 2
            try await gate(Array(members[..<half]))
            try await gate(Array(members[half...]))
            return
        }
        throw OrchError.failure("\(configuration.target) kept moving while the merge queue tried to land \(entries.map(\.branch).joined(separator: ", "))")
    }

    /// Merges the entries one after the other on top of the target, in memory;
    /// those with nothing to land (merged already, conflicting, refused) get their result at once.
    func plan(_ entries: [MergeQueue.Entry]) throws -> Planned {
        let repository = try repository()
        let merge = BranchMerge(target: configuration.target)
        var planned = Planned(base: try TaskLedger.targetTip(repository: repository, target: configuration.target))
        for entry in entries {
            guard let theirs = try repository.branchTip(entry.branch) else {
                try queue.finish(entry, with: MergeReport(branch: entry.branch, kind: .refused, message: "no branch \(entry.branch)"), in: repository)
                continue
            }
            do {
                switch try merge.plan(merging: entry.branch, at: theirs, into: planned.tip, in: repository) {
                case nil:
                    try queue.finish(entry, with: MergeReport(branch: entry.branch, outcome: .upToDate), in: repository)
                case .conflicted(let conflicts)?:
                    try queue.finish(entry, with: MergeReport(branch: entry.branch, outcome: .conflicted(conflicts)), in: repository)
                case .commit(let commit, let isFastForward, let ticked)?:
                    planned.members.append(.init(entry: entry, commit: commit, isFastForward: isFastForward, ticked: ticked, tip: theirs))
                }
            } catch let error as OrchError where error.code == .usage {
                try queue.finish(entry, with: MergeReport(branch: entry.branch, kind: .refused, message: error.message), in: repository)
            }
        }
        return planned
    }

    /// The check's result for the batch's merged tree: from the cache, else run in the gate's worktree.
    func check(_ planned: Planned) async throws -> CheckRun {
        let (check, place, branches) = (configuration.check, place, planned.members.map(\.entry.branch))
        let cache = CheckCache(command: check.command, identity: await runner.identity())
        let (tree, cached) = try await git.run {
            let repository = try self.repository()
            let tree = try CheckCache.codeTree(ofCommit: planned.tip, in: repository)
            return (tree, try cache.lookup(tree, in: repository))
        }
        if let cached {
            await observer?(CheckEvent(branches: branches, tree: tree.hex, result: cached.result, seconds: cached.seconds, cached: true))
            return cached
        }
        await runner.clear(place)
        try await git.run {
            if check.clean { try place.wipeHome() }
            try place.prepare()
            let repository = try self.repository()
            let tree = try repository.treeID(ofCommit: planned.tip)
            do {
                try repository.checkOutTree(tree, into: place.worktree, indexFile: place.index, removingUntracked: check.clean)
            } catch {
                // The last check may have left the folder unwritable (chmod 000): start it afresh, once.
                try place.wipeWorktree()
                try repository.checkOutTree(tree, into: place.worktree, indexFile: place.index, removingUntracked: check.clean)
            }
            let running = GateRunning(branches: branches, since: Date().timeIntervalSince1970)
            try JSONEncoder.sorted.encode(running).write(to: URL(fileURLWithPath: place.running), options: .atomic)
        }
        var run = await runner.run(check, in: place)
        // Cut short (the server stopping): no result, nothing landed; the branches stay queued for the next gate.
        try Task.checkCancellation()
        if let why = run.startFailure {
            try? FileManager.default.removeItem(atPath: place.running)
            throw CheckStartFailure(why: why)
        }
        run.tail = configuration.scrubber.scrub(run.tail)
        let result = run
        try await git.run {
            try? FileManager.default.removeItem(atPath: place.running)
            // A timeout or a kill by a signal (the machine's load, the memory limit) may not happen again: not kept.
            if !result.timedOut && (result.exitCode ?? 0) < 128 { try cache.store(result, for: tree, in: self.repository()) }
        }
        await observer?(CheckEvent(branches: branches, tree: tree.hex, result: run.result, seconds: run.seconds, cached: false))
        return run
    }

    /// A branch that moved on while its older tip was gated (its worker pushed, or someone queued it again
    /// and got the entry in progress) is queued again for what it has since.
    func requeueIfMoved(_ member: Planned.Member, in repository: Repository) throws {
        guard let tip = try repository.branchTip(member.entry.branch), tip != member.tip,
              !(try repository.isAncestor(tip, of: try TaskLedger.targetTip(repository: repository, target: configuration.target))) else { return }
        _ = try queue.enqueue(member.entry.branch, in: repository)
    }

    /// Moves the target to the batch's last merge by compare-and-swap; false when the target moved meanwhile.
    func land(_ planned: Planned) throws -> Bool {
        let repository = try repository()
        let merge = BranchMerge(target: configuration.target)
        let branches = planned.members.map(\.entry.branch).joined(separator: ", ")
        let checkouts = try CheckedOutTarget(repository: repository, branch: merge.target)
        guard try merge.land(planned.tip, over: planned.base, message: "orch: merge \(branches) (merge check passed)", checkouts: checkouts, in: repository) else {
            return false
        }
        for member in planned.members {
            let outcome: BranchMerge.Outcome = member.isFastForward
                ? .fastForwarded(to: member.commit, ticked: member.ticked) : .merged(commit: member.commit, ticked: member.ticked)
            try queue.finish(member.entry, with: MergeReport(branch: member.entry.branch, outcome: outcome), in: repository)
            try closeFailure(of: member, in: repository)
            try requeueIfMoved(member, in: repository)
        }
        return true
    }
}
