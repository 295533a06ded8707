import CLibGit2

/// An error from a git operation, carrying what libgit2 said about it.
///
/// libgit2 keeps its last error in thread-local storage, so ``GitError/last(_:operation:)``
/// must be called right after the failing call, before anything else touches libgit2.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, as a stable code: libgit2's `git_error_code` values, plus
    /// orch's own refusals (which libgit2 has no code for) below `-1000`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        /// - Parameters:
        ///   - rawValue: a `git_error_code` value or one of orch's codes.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let generic = Code(rawValue: GIT_ERROR.rawValue)
        public static let notFound = Code(rawValue: GIT_ENOTFOUND.rawValue)
        public static let exists = Code(rawValue: GIT_EEXISTS.rawValue)
        public static let ambiguous = Code(rawValue: GIT_EAMBIGUOUS.rawValue)
        public static let bareRepository = Code(rawValue: GIT_EBAREREPO.rawValue)
        public static let unbornBranch = Code(rawValue: GIT_EUNBORNBRANCH.rawValue)
        public static let conflict = Code(rawValue: GIT_ECONFLICT.rawValue)
        public static let locked = Code(rawValue: GIT_ELOCKED.rawValue)
        /// A compare-and-swap ref update found the ref somewhere else.
        public static let modified = Code(rawValue: GIT_EMODIFIED.rawValue)
        public static let uncommitted = Code(rawValue: GIT_EUNCOMMITTED.rawValue)
        public static let invalid = Code(rawValue: GIT_EINVALID.rawValue)

        /// The working tree has changes (tracked or untracked) that an operation would lose.
        public static let dirtyWorktree = Code(rawValue: -1001)
        /// A branch holds commits that the target branch does not contain.
        public static let unmergedCommits = Code(rawValue: -1002)
        /// The path asked for is already taken.
        public static let pathExists = Code(rawValue: -1003)
        /// A compare-and-swap update lost to concurrent writers too many times.
        public static let contended = Code(rawValue: -1004)
        /// The remote refused an update (e.g. not a fast-forward).
        public static let rejected = Code(rawValue: -1005)
        /// The remote refused the credentials offered, or none could be offered.
        public static let authentication = Code(rawValue: -1006)
        /// An ssh host's key is not in known_hosts, or does not match it.
        public static let hostKey = Code(rawValue: -1007)

        public var description: String {
            switch self {
            case .generic: "generic"
            case .notFound: "not found"
            case .exists: "exists"
            case .ambiguous: "ambiguous"
            case .bareRepository: "bare repository"
            case .unbornBranch: "unborn branch"
            case .conflict: "conflict"
            case .locked: "locked"
            case .modified: "modified concurrently"
            case .uncommitted: "uncommitted changes"
            case .invalid: "invalid"
            case .dirtyWorktree: "dirty worktree"
            case .unmergedCommits: "unmerged commits"
            case .pathExists: "path exists"
            case .contended: "contended"
            case .rejected: "rejected"
            case .authentication: "authentication"
            case .hostKey: "host key"
            default: "code \(rawValue)"
            }
        }
    }

    /// The error's code.
    public let code: Code
    /// libgit2's error class (`git_error_t`), `0` when the error is orch's own.
    public let errorClass: Int32
    /// libgit2's message, or orch's.
    public let message: String
    /// What GitKit was doing, e.g. `open repository /srv/repo`.
    public let operation: String

    /// Creates an error that libgit2 did not raise.
    /// - Parameters:
    ///   - code: one of orch's codes (or a libgit2 one that fits).
    ///   - message: what was wrong, naming the path or ref.
    ///   - operation: what GitKit was doing.
    public init(code: Code, message: String, operation: String) {
        self.code = code
        self.errorClass = 0
        self.message = message
        self.operation = operation
    }

    init(code: Code, errorClass: Int32, message: String, operation: String) {
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.operation = operation
    }

    /// Reads libgit2's last error for a call that returned `result`.
    /// - Parameters:
    ///   - result: the negative return value of the failing call.
    ///   - operation: what GitKit was doing.
    static func last(_ result: Int32, operation: String) -> GitError {
        if let raw = git_error_last() {
            let message = raw.pointee.message.map { String(cString: $0) } ?? "unknown error"
            return GitError(code: Code(rawValue: result), errorClass: raw.pointee.klass, message: message, operation: operation)
        }
        return GitError(code: Code(rawValue: result), errorClass: 0, message: "libgit2 returned \(result)", operation: operation)
    }

    public var description: String {
        "\(operation): \(message)"
    }
}

/// Throws the libgit2 error behind `result` when it is negative.
/// - Parameters:
///   - result: a libgit2 return value.
///   - operation: what GitKit was doing, for the message.
/// - Throws: ``GitError`` read right after the call.
@inline(__always)
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws {
    if result < 0 {
        throw GitError.last(result, operation: operation())
    }
}
