import GitKit

/// A failure orch reports to a person; its code fixes the exit code the command ends with.
///
/// ```swift
/// throw OrchError.usage("field workerCount: expected a whole number from 1 to 64, found 0")
/// throw OrchError(.conflict(paths: ["app.txt"]), "orch/worker-2 conflicts with main", underlyingError: gitError)
/// ```
public struct OrchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, with what is known about it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case usage
            case failure
            case conflict(paths: [String])
        }

        private let storage: Storage

        /// Bad input or usage (a value, a file, a field); nothing was changed.
        public static let usage = Code(storage: .usage)
        /// Something went wrong while running.
        public static let failure = Code(storage: .failure)
        /// A merge met conflicts in `paths`; the target is untouched.
        public static func conflict(paths: [String]) -> Code { Code(storage: .conflict(paths: paths)) }

        /// The paths of a conflict, else empty.
        public var conflictingPaths: [String] {
            if case .conflict(let paths) = storage { return paths }
            return []
        }

        /// Whether this is a conflict, whatever its paths.
        public var isConflict: Bool {
            if case .conflict = storage { return true }
            return false
        }

        /// The process exit code DESIGN.md gives it: 2 for usage, 1 for failures and conflicts.
        public var exitCode: Int32 {
            switch storage {
            case .usage: 2
            case .failure, .conflict: 1
            }
        }

        public var description: String {
            switch storage {
            case .usage: "usage"
            case .failure: "failure"
            case .conflict(let paths): "conflict in \(paths.joined(separator: ", "))"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What was wrong, naming the file, field or value.
    public let message: String
    /// The error that caused it, when there is one (a ``GitKit`` or system error).
    public let underlyingError: (any Error & Sendable)?

    /// - Parameters:
    ///   - code: the kind of failure.
    ///   - message: what was wrong.
    ///   - underlyingError: what caused it.
    public init(_ code: Code, _ message: String, underlyingError: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlyingError = underlyingError
    }

    /// Bad input: exit 2.
    public static func usage(_ message: String) -> OrchError { OrchError(.usage, message) }

    /// A failure while running: exit 1.
    public static func failure(_ message: String, underlyingError: (any Error & Sendable)? = nil) -> OrchError {
        OrchError(.failure, message, underlyingError: underlyingError)
    }

    public var description: String { message }

    /// Equal when the code and the message are (the underlying error is context, not identity).
    public static func == (lhs: OrchError, rhs: OrchError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
}

extension OrchError {
    /// orch's own errors as they are, and git's as failures (exit 1) that say
    /// what git said; nil for anything else (the argument parser's errors).
    /// The commands above Core never see ``GitError`` themselves.
    public init?(presenting error: any Error) {
        switch error {
        case let error as OrchError: self = error
        case let error as GitError: self = .failure("\(error)", underlyingError: error)
        default: return nil
        }
    }
}
