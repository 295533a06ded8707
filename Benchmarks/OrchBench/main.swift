import Foundation
import GitKit
import OrchCore

// orch's git layer against the git CLI on the same data (issue #2's figures).
// Each figure is the median of `runs` measurements, each on a fresh copy.

let arguments = CommandLine.arguments
let runs = Int(ProcessInfo.processInfo.environment["ORCH_BENCH_RUNS"] ?? "5") ?? 5
let orchBinary = URL(fileURLWithPath: arguments[0]).deletingLastPathComponent().appendingPathComponent("orch").path
let protobufSeed = ProcessInfo.processInfo.environment["ORCH_BENCH_REAL_REPO"] ?? "/opt/swift-packages/apple/swift-protobuf.git"
let work = sh("mktemp", ["-d", "/tmp/orch-bench-XXXXXX"])
defer { sh("rm", ["-rf", work]) }

func generatedSeed() -> String {
    let path = "\(work)/generated-seed"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    git("init", "-q", "-b", "main", in: path)
    for directory in 0..<100 {
        let folder = "\(path)/module\(directory)"
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in 0..<100 {
            try! "// module \(directory) file \(file)\nlet value\(file) = \(directory * 100 + file)\n".write(toFile: "\(folder)/f\(file).swift", atomically: false, encoding: .utf8)
        }
    }
    git("add", "-A", in: path)
    git("commit", "-q", "-m", "generated", in: path)
    return path
}

func realSeed() -> String? {
    guard FileManager.default.fileExists(atPath: protobufSeed) else { return nil }
    let path = "\(work)/swift-protobuf-seed.git"
    sh("git", ["clone", "-q", "--bare", protobufSeed, path])
    // Name the newest tag `main` so both sides merge into the same commit.
    let tag = sh("git", ["describe", "--tags", "--abbrev=0", "HEAD"], in: path, allowFailure: true)
    git("branch", "-f", "main", tag.isEmpty ? "HEAD" : tag, in: path)
    git("symbolic-ref", "HEAD", "refs/heads/main", in: path)
    return path
}

struct Row {
    let operation: String
    let dataset: String
    let orch: Double
    let git: Double
    let note: String
}

/// Flushes dirty pages so one side's writes are not paid for during the other's timing.
func settle() { sh("sync", []) }

func measure(_ dataset: Dataset) throws -> [Row] {
    var rows: [Row] = []
    // 1. Eight worktrees on new branches.
    var orchTimes: [Double] = []
    var gitTimes: [Double] = []
    for run in 0..<runs {
        let a = dataset.copy(into: work, label: "wt-orch")
        let b = dataset.copy(into: work, label: "wt-git")
        let repo = try Repository.open(at: a)
        let base = try repo.branchTip("main")!
        func orchSide() throws {
            settle()
            orchTimes.append(try seconds {
                for worker in 1...8 {
                    try repo.addWorktree(named: "wt-\(worker)", at: "\(a)-trees/wt-\(worker)", branch: .new("wt-\(worker)", at: base))
                }
            })
        }
        func gitSide() {
            settle()
            gitTimes.append(seconds {
                for worker in 1...8 { git("worktree", "add", "-q", "-b", "wt-\(worker)", "\(b)-trees/wt-\(worker)", "main", in: b) }
            })
        }
        // Alternate who goes first: the file system's background work after one
        // side's 80,000 writes lands on whoever runs next. Nothing is deleted
        // until the end, since deletions (with discard) slow the next writer too.
        if run % 2 == 0 { try orchSide(); gitSide() } else { gitSide(); try orchSide() }
    }
    rows.append(Row(operation: "create 8 worktrees", dataset: dataset.name, orch: median(orchTimes), git: median(gitTimes),
                    note: "GitKit addWorktree vs `git worktree add -b`"))

    // 2. Merge 8 worker branches of 20 commits each.
    orchTimes = []
    gitTimes = []
    var plumbingTimes: [Double] = []
    for _ in 0..<runs {
        let a = dataset.copy(into: work, label: "merge-orch")
        settle()
        orchTimes.append(seconds { sh(orchBinary, ["merge", "--all", "--repo", a]) })
        precondition(sh("git", ["rev-list", "--count", "--merges", "main"], in: a) != "0")
        precondition(sh("git", ["show", "main:WORKER_8_TASK_LIST.md"], in: a).contains("[x] T-0008"))

        let b = dataset.copy(into: work, label: "merge-git")
        git("worktree", "add", "-q", "\(b)-trees/main", "main", in: b)
        settle()
        gitTimes.append(seconds {
            for worker in 1...8 { git("merge", "-q", "--no-edit", "orch/worker-\(worker)", in: "\(b)-trees/main") }
        })

        let c = dataset.copy(into: work, label: "merge-plumbing")
        settle()
        plumbingTimes.append(seconds {
            for worker in 1...8 {
                let old = sh("git", ["rev-parse", "main"], in: c)
                let tree = sh("git", ["merge-tree", "--write-tree", "main", "orch/worker-\(worker)"], in: c)
                let commit = sh("git", ["commit-tree", tree, "-p", "main", "-p", "orch/worker-\(worker)", "-m", "merge"], in: c)
                git("update-ref", "refs/heads/main", commit, old, in: c)
            }
        })
    }
    rows.append(Row(operation: "merge 8 branches × 20 commits", dataset: dataset.name, orch: median(orchTimes), git: median(gitTimes),
                    note: "`orch merge --all` (no working tree, ticks tasks) vs `git merge` ×8 in a checkout"))
    rows.append(Row(operation: "merge 8 branches × 20 commits", dataset: dataset.name, orch: median(orchTimes), git: median(plumbingTimes),
                    note: "vs git plumbing ×8: merge-tree --write-tree, commit-tree, update-ref"))

    // 3. Detect the conflicts of 8 conflicting branches.
    orchTimes = []
    gitTimes = []
    for _ in 0..<runs {
        let a = dataset.copy(into: work, label: "conflict-orch")
        let before = sh("git", ["rev-parse", "main"], in: a)
        orchTimes.append(seconds { sh(orchBinary, ["merge"] + (1...8).map { "conflict-\($0)" } + ["--repo", a], allowFailure: true) })
        precondition(sh("git", ["rev-parse", "main"], in: a) == before, "a conflict moved the target")
        let b = dataset.copy(into: work, label: "conflict-git")
        gitTimes.append(seconds {
            for worker in 1...8 { git("merge-tree", "--write-tree", "--name-only", "main", "conflict-\(worker)", in: b, allowFailure: true) }
        })
    }
    rows.append(Row(operation: "detect conflicts of 8 branches", dataset: dataset.name, orch: median(orchTimes), git: median(gitTimes),
                    note: "`orch merge` of 8 conflicting branches vs `git merge-tree --write-tree` ×8"))
    return rows
}

if arguments.dropFirst().first == "hooks" {
    // `orch-bench hooks`: issue #4's receiver figures.
    try await benchmarkHooks(work: work)
    sh("rm", ["-rf", work])
    exit(0)
}

if arguments.dropFirst().first == "channel" {
    // `orch-bench channel`: issue #14's figures (an instance's clone and its commits over the channel).
    try await benchmarkChannel(work: work)
    sh("rm", ["-rf", work])
    exit(0)
}

if arguments.dropFirst().first == "push" {
    // `orch-bench push`: issue #12's figures (a change of the target → on the remote, over file:// and ssh).
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    try await benchmarkPush(work: work, packageRoot: packageRoot)
    sh("rm", ["-rf", work])
    exit(0)
}

if arguments.dropFirst().first == "flow" {
    // `orch-bench flow [SECONDS] [command|http]`: issue #4's flow figures from a demo run (needs Docker and the test image).
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    try await benchmarkFlow(work: work, packageRoot: packageRoot, taskSeconds: arguments.dropFirst(2).first.flatMap { Int($0) } ?? 5,
                            hooks: arguments.dropFirst(3).first ?? "command")
    sh("rm", ["-rf", work])
    exit(0)
}

if arguments.dropFirst().first == "rotation" {
    // `orch-bench rotation`: issue #15's figures (a move before the limit and at it; needs Docker and the test image).
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    try await benchmarkRotation(work: work, packageRoot: packageRoot)
    sh("rm", ["-rf", work])
    exit(0)
}

if arguments.dropFirst().first == "gate" {
    // `orch-bench gate`: issue #16's figure (the merge gate's overhead; needs Docker and the test image).
    try await benchmarkGate(work: work)
    sh("rm", ["-rf", work])
    exit(0)
}

if arguments.dropFirst().first == "serve" {
    // `orch-bench serve [N …]`: issue #3's start-up figures (needs Docker and the test image).
    let counts = arguments.dropFirst(2).compactMap { Int($0) }
    try await benchmarkServe(workerCounts: counts.isEmpty ? [1, 4, 8] : counts, work: work)
    sh("rm", ["-rf", work])
    exit(0)
}

var rows: [Row] = []
print("orch-bench: \(runs) runs per figure (median), work dir \(work)")
let generated = try Dataset.prepare(name: "generated-10k", seed: generatedSeed(), work: work)
print("prepared \(generated.name): \(generated.fileCount) files")
rows += try measure(generated)
if let seed = realSeed() {
    let real = try Dataset.prepare(name: "swift-protobuf", seed: seed, work: work)
    print("prepared \(real.name): \(real.fileCount) files")
    rows += try measure(real)
} else {
    print("skipped the real repository: \(protobufSeed) is missing (set ORCH_BENCH_REAL_REPO)")
}

print("")
print("| operation | data set | orch (s) | git CLI (s) | git / orch | compared with |")
print("|---|---|---:|---:|---:|---|")
for row in rows {
    print(String(format: "| %@ | %@ | %.3f | %.3f | %.2f× | %@ |", row.operation, row.dataset, row.orch, row.git, row.git / row.orch, row.note))
}
