import Foundation
import GitKit
import OrchCore
import OrchRuntime

/// `orch-bench gate`: issue #16's figure, the merge gate's cost beyond the check's command, on a
/// 2,500-file repository: each round a worker commit changes one file, is queued, merged in memory,
/// written to the gate's worktree, checked with `true` in a container from the test image, and lands.
/// Beside it: `docker run` of `true` alone (the container's own start), and the worktree's update by
/// orch (libgit2) and by the git CLI (`read-tree -m -u` with an index of its own).
func benchmarkGate(work: String, rounds: Int = 7) async throws {
    let seed = "\(work)/gate-seed"
    try FileManager.default.createDirectory(atPath: seed, withIntermediateDirectories: true)
    git("init", "-q", "-b", "main", in: seed)
    for directory in 0..<25 {
        let folder = "\(seed)/Sources/Module\(directory)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in 0..<100 {
            try "// module \(directory) file \(file)\nlet value\(file) = \(directory * 100 + file)\n".write(toFile: "\(folder)/F\(file).swift", atomically: false, encoding: .utf8)
        }
    }
    git("add", "-A", in: seed)
    git("commit", "-q", "-m", "2,500 files", in: seed)
    let clone = "\(work)/gate.git"
    sh("git", ["clone", "-q", "--bare", seed, clone])
    git("branch", "orch/worker-1", "main", in: clone)
    let image = "orch-claude-test:latest"
    let runner = ContainerMergeCheck(image: image, network: "none", resources: nil)
    let gate = try MergeGate(configuration: .init(repository: clone, target: "main", check: MergeCheck(command: "true", timeoutSeconds: 60)), runner: runner)

    var gateTimes: [Double] = [], dockerTimes: [Double] = [], first = 0.0
    for round in 0...rounds {
        try commitOneFile(round: round, clone: clone)
        let start = DispatchTime.now().uptimeNanoseconds
        let reports = try await gate.wait(for: try await gate.enqueue(["orch/worker-1"]))
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard reports.first??.kind == .fastForwarded || reports.first??.kind == .merged else { fatalError("the gate did not land: \(reports)") }
        if round == 0 { first = elapsed } else { gateTimes.append(elapsed) }
        dockerTimes.append(seconds { sh("docker", ["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "true"]) })
    }
    let (orchUpdate, gitUpdate) = try worktreeUpdates(clone: clone, rounds: rounds)
    let gateMedian = median(gateTimes), dockerMedian = median(dockerTimes)
    print("""

        | step (2,500 files, one changed per round; median of \(rounds)) | seconds |
        |---|---|
        | gate, queue to landed, command `true` (first gate, worktree written whole: \(String(format: "%.2f", first)) s) | \(String(format: "%.3f", gateMedian)) |
        | `docker run --rm` of `true` alone | \(String(format: "%.3f", dockerMedian)) |
        | gate overhead beyond the command's container (difference) | \(String(format: "%.3f", gateMedian - dockerMedian)) |
        | worktree update for one changed file: orch (libgit2, own index) | \(String(format: "%.4f", orchUpdate)) |
        | the same with the git CLI (`read-tree -m -u`, own index) | \(String(format: "%.4f", gitUpdate)) |
        """)
}

/// A worker commit that changes one file (a new one each round, so no result is cached).
private func commitOneFile(round: Int, clone: String) throws {
    let scratch = "\(clone)-edit"
    if !FileManager.default.fileExists(atPath: scratch) { sh("git", ["clone", "-q", "-b", "orch/worker-1", clone, scratch]) }
    try "let round = \(round)\n".write(toFile: "\(scratch)/Sources/Module0/F0.swift", atomically: false, encoding: .utf8)
    git("commit", "-q", "-am", "round \(round)", in: scratch)
    git("push", "-q", "origin", "orch/worker-1", in: scratch)
}

/// The median time to bring a written worktree to a tree that differs in one file: orch's and the git CLI's.
private func worktreeUpdates(clone: String, rounds: Int) throws -> (orch: Double, git: Double) {
    let repository = try Repository.open(at: clone)
    let commits = sh("git", ["rev-list", "--max-count=\(rounds + 1)", "main"], in: clone).split(separator: "\n").map(String.init).reversed()
    let trees = try commits.map { try repository.treeID(ofCommit: ObjectID(hex: $0)!) }
    let orchDirectory = "\(clone)-orch-worktree", gitDirectory = "\(clone)-git-worktree"
    try repository.checkOutTree(trees[0], into: orchDirectory, indexFile: orchDirectory + ".index")
    try FileManager.default.createDirectory(atPath: gitDirectory, withIntermediateDirectories: true)
    let environment = ["GIT_INDEX_FILE": gitDirectory + ".index", "GIT_DIR": clone, "GIT_WORK_TREE": gitDirectory]
    shWith(environment, ["read-tree", "-m", "-u", trees[0].hex])
    var orchTimes: [Double] = [], gitTimes: [Double] = []
    for index in 1..<trees.count {
        orchTimes.append(try seconds { try repository.checkOutTree(trees[index], into: orchDirectory, indexFile: orchDirectory + ".index") })
        gitTimes.append(seconds { shWith(environment, ["read-tree", "-m", "-u", trees[index - 1].hex, trees[index].hex]) })
    }
    return (median(orchTimes), median(gitTimes))
}

private func shWith(_ environment: [String: String], _ arguments: [String]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git"] + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    try! process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { fatalError("git \(arguments) failed") }
}
