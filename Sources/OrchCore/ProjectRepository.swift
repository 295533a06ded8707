import GitKit

/// The repository a command names (`--repo`, or the one `orch init` runs in),
/// opened the way orch's commands need it, so that nothing above Core opens
/// git itself.
///
/// ```swift
/// let repository = try ProjectRepository(path: ".")
/// let id = try TaskAssignment(worker: 2, text: "Add --json", branch: "main").commit(to: repository)
/// ```
public struct ProjectRepository {
    let repository: Repository

    /// Opens the repository that holds `path` (any path inside it, or a bare repository).
    /// - Parameters:
    ///   - option: how the command's user named the path, for the message when there is none.
    /// - Throws: ``OrchError`` (usage) naming the path when no repository holds it.
    public init(path: String, option: String = "--repo") throws {
        do {
            repository = try Repository.open(at: path)
        } catch let error as GitError where error.code == .notFound {
            throw OrchError.usage("no git repository at \(path) (\(option))")
        }
    }

    /// The working tree's root without a trailing slash; nil for a bare repository.
    public var workingDirectory: String? {
        repository.workingDirectory.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}

extension TaskAssignment {
    /// ``commit(to:)-(Repository)`` for a command's repository.
    public func commit(to project: ProjectRepository) throws -> TaskID {
        try commit(to: project.repository)
    }
}

extension BranchMerge {
    /// ``workerBranches(in:)-(Repository)`` for a command's repository.
    public static func workerBranches(in project: ProjectRepository) throws -> [String] {
        try workerBranches(in: project.repository)
    }

    /// ``merge(_:in:)-(_,Repository)`` for a command's repository.
    public func merge(_ branch: String, in project: ProjectRepository) throws -> Outcome {
        try merge(branch, in: project.repository)
    }

    /// The branches `orch merge` names: every `orch/worker-N` with `all`, else each name as ``branchName(for:)`` spells it.
    public static func branches(named names: [String], all: Bool, in project: ProjectRepository) throws -> [String] {
        all ? try workerBranches(in: project) : names.map(branchName(for:))
    }

    /// Merges each branch at once, in order (no merge check), as `orch merge` reports them.
    public func reports(merging branches: [String], in project: ProjectRepository) throws -> [MergeReport] {
        try branches.map { MergeReport(branch: $0, outcome: try merge($0, in: project)) }
    }
}
