/// A path that a merge could not combine.
public struct MergeConflict: Equatable, Sendable, CustomStringConvertible {
    /// How the two sides collided.
    public enum Kind: String, Sendable {
        /// Both sides changed the file in different ways.
        case bothModified = "both modified"
        /// Both sides added a file at the path, with different contents.
        case bothAdded = "both added"
        /// Our side deleted the file, theirs changed it.
        case deletedByUs = "deleted by us"
        /// Their side deleted the file, ours changed it.
        case deletedByThem = "deleted by them"
        /// A rename collided (renamed on both sides, or renamed on one and deleted on the other);
        /// each of the paths involved is listed.
        case renamed = "rename conflict"
    }

    /// The conflicted path, from the repository's root.
    public let path: String
    /// How the sides collided.
    public let kind: Kind

    /// - Parameters:
    ///   - path: the conflicted path.
    ///   - kind: how the sides collided.
    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String { "\(path) (\(kind.rawValue))" }
}

/// How a branch relates to the target it would merge into.
public enum MergeAnalysis: Equatable, Sendable {
    /// The target already contains the branch.
    case upToDate
    /// The target can move forward to the branch's tip.
    case fastForward
    /// A merge commit is needed; `base` is the common ancestor (nil when unrelated).
    case normal(base: ObjectID?)
}

/// The result of merging two commits' trees in memory.
public enum TreeMergeResult: Equatable, Sendable {
    /// The merged tree.
    case clean(tree: ObjectID)
    /// The paths that collided; nothing was written.
    case conflicted([MergeConflict])
}
