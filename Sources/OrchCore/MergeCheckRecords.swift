import Foundation
import GitKit

/// How one run of the merge check ended.
public struct CheckRun: Codable, Sendable, Equatable {
    /// The command's exit status; nil when it was killed at its timeout or never started.
    public var exitCode: Int32?
    public var timedOut: Bool
    /// How long the command ran.
    public var seconds: Double
    /// The end of its output, bounded, with secrets scrubbed.
    public var tail: String
    /// Why the check could not run at all (the engine, the image): not the branch's fault, never cached.
    public var startFailure: String?

    public init(exitCode: Int32?, timedOut: Bool = false, seconds: Double, tail: String, startFailure: String? = nil) {
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.seconds = seconds
        self.tail = tail
        self.startFailure = startFailure
    }

    public var passed: Bool { exitCode == 0 && !timedOut }

    /// `passed`, `failed` or `timeout`: the metric's and the event's label.
    public var result: String { passed ? "passed" : timedOut ? "timeout" : "failed" }

    /// One line: why it failed.
    public func summary(command: String, timeout: Double) -> String {
        if timedOut { return "`\(command)` did not finish in \(timeout.formatted()) s and was killed" }
        return "`\(command)` exited \(exitCode.map(String.init) ?? "without a status")"
    }
}

/// A check that could not run: the branch stays queued.
struct CheckStartFailure: Error {
    let why: String
}

/// The gate's results by merged tree and command: a tree checked once is not
/// checked again. `refs/orch/merge-check/<command's blob id>/<tree>` points at
/// the ``CheckRun`` as a blob. The tree is the merge's without the task lists,
/// which only orch's own bookkeeping changes (an `orch assign` meanwhile does
/// not make the same code be checked twice).
struct CheckCache {
    static let prefix = "refs/orch/merge-check/"
    let command: String
    /// The runner's identity (the image), also part of the key.
    let identity: String

    func reference(for tree: ObjectID, in repository: Repository) throws -> String {
        Self.prefix + (try repository.createBlob(Data((command + "\n" + identity).utf8))).hex + "/" + tree.hex
    }

    func lookup(_ tree: ObjectID, in repository: Repository) throws -> CheckRun? {
        guard let blob = try repository.referenceTarget(try reference(for: tree, in: repository)) else { return nil }
        return try? JSONDecoder().decode(CheckRun.self, from: repository.blob(blob))
    }

    func store(_ run: CheckRun, for tree: ObjectID, in repository: Repository) throws {
        let name = try reference(for: tree, in: repository)
        let blob = try repository.createBlob(try JSONEncoder.sorted.encode(run))
        try? repository.updateReference(name, to: blob, expecting: try repository.referenceTarget(name), message: "orch: merge check")
    }

    /// The tree a check's result is kept under.
    static func codeTree(ofCommit commit: ObjectID, in repository: Repository) throws -> ObjectID {
        let tree = try repository.treeID(ofCommit: commit)
        let lists = try repository.rootFileNames(ofTree: tree).filter { TaskBoard.worker(ofFileName: $0) != nil }
        return try repository.tree(tree, withoutRootFiles: lists)
    }
}

/// A branch whose merge failed the check: `refs/orch/check-failure/<branch>`
/// points at it as a blob. The failure goes back to the branch's worker as an
/// instruction, as a conflict does; the target is not touched. It is open
/// until the worker has had its turn on it (or a later merge of the branch
/// passed): then `fixedAt` holds the branch's tip, and the manager is told to
/// merge the branch again.
public struct CheckFailure: Codable, Sendable, Equatable {
    public var branch: String
    /// The branch's tip that failed.
    public var tip: String
    public var command: String
    /// Why, in one line (``CheckRun/summary(command:timeout:)``).
    public var summary: String
    /// The end of the output, scrubbed.
    public var tail: String
    /// The tasks the merge would have ticked.
    public var tasks: [String]
    /// Unix seconds.
    public var at: Double
    /// The branch's tip once its worker had its turn on the failure (or a later merge passed); nil while open.
    public var fixedAt: String?

    static let prefix = "refs/orch/check-failure/"

    static func reference(_ branch: String) -> String { prefix + MergeQueue.key(branch) }

    public var isOpen: Bool { fixedAt == nil }

    /// Every branch's last failure.
    public static func all(in repository: Repository) throws -> [CheckFailure] {
        records(at: try repository.references(withPrefix: prefix), in: repository)
    }

    /// The records the references (under ``prefix``) point at.
    static func records(at references: [String: ObjectID], in repository: Repository) -> [CheckFailure] {
        references.values.compactMap { try? JSONDecoder().decode(CheckFailure.self, from: repository.blob($0)) }.sorted { $0.branch < $1.branch }
    }

    static func load(_ branch: String, in repository: Repository) throws -> (CheckFailure, ObjectID)? {
        guard let blob = try repository.referenceTarget(reference(branch)),
              let failure = try? JSONDecoder().decode(CheckFailure.self, from: repository.blob(blob)) else { return nil }
        return (failure, blob)
    }

    func save(in repository: Repository, replacing previous: ObjectID?) throws {
        let blob = try repository.createBlob(try JSONEncoder.sorted.encode(self))
        try repository.updateReference(Self.reference(branch), to: blob, expecting: previous, message: "orch: merge check of \(branch)")
    }

    /// Closes the failure of `branch` at `tip`, if it is still that one and open.
    public static func markFixed(branch: String, failedAt tip: String, fixedAt: String, in repository: Repository) throws {
        for _ in 0..<100 {
            guard let (failure, blob) = try load(branch, in: repository), failure.tip == tip, failure.isOpen else { return }
            var fixed = failure
            fixed.fixedAt = fixedAt
            do {
                return try fixed.save(in: repository, replacing: blob)
            } catch let error as GitError where error.isLostRace {
                continue
            }
        }
    }
}
