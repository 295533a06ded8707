import Foundation
import GitKit
import OrchCore

/// A bare repository prepared once per data set and copied afresh for every
/// measurement, so orch and the git CLI always start from the same bytes.
struct Dataset {
    let name: String
    let fixture: String
    let workers = 8
    let commitsPerWorker = 20

    /// Builds the fixture: 8 worker branches of 20 commits each (distinct files,
    /// `Orch-Task` trailers), the target moved on after they forked (so merges
    /// are real merges), and 8 branches that each conflict with the target.
    static func prepare(name: String, seed: String, work: String) throws -> Dataset {
        let fixture = "\(work)/\(name).git"
        sh("git", ["clone", "-q", "--bare", seed, fixture])
        let repo = try Repository.open(at: fixture)
        try repo.commitFiles(to: "main", message: "bench: shared file") { _ in
            [.write(path: "orch-bench/shared.txt", contents: Data("line one\nline two\n".utf8))]
        }
        for worker in 1...8 {
            _ = try TaskAssignment(worker: worker, text: "bench task \(worker)", branch: "main").commit(to: repo)
        }
        let base = try repo.branchTip("main")!
        for worker in 1...8 {
            try repo.createBranch("orch/worker-\(worker)", at: base)
            for commit in 1...20 {
                let trailer = commit == 20 ? "\n\nOrch-Task: \(TaskID(worker))" : ""
                try repo.commitFiles(to: "orch/worker-\(worker)", message: "worker \(worker) step \(commit)\(trailer)") { _ in
                    [.write(path: "orch-bench/w\(worker)/file-\(commit).txt", contents: Data("worker \(worker) commit \(commit)\n".utf8))]
                }
            }
            try repo.createBranch("conflict-\(worker)", at: base)
            try repo.commitFiles(to: "conflict-\(worker)", message: "conflicting edit \(worker)") { _ in
                [.write(path: "orch-bench/shared.txt", contents: Data("worker \(worker) was here\nline two\n".utf8))]
            }
        }
        try repo.commitFiles(to: "main", message: "target moves on") { _ in
            [.write(path: "orch-bench/shared.txt", contents: Data("the target's edit\nline two\n".utf8)),
             .write(path: "orch-bench/main.txt", contents: Data("main\n".utf8))]
        }
        return Dataset(name: name, fixture: fixture)
    }

    /// A fresh copy of the fixture.
    func copy(into work: String, label: String) -> String {
        let path = "\(work)/\(name)-\(label)-\(UUID().uuidString.prefix(8)).git"
        sh("cp", ["-a", fixture, path])
        return path
    }

    var fileCount: Int {
        Int(sh("git", ["ls-tree", "-r", "--name-only", "main"], in: fixture).split(separator: "\n").count)
    }
}
