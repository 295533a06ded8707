/// A failure orch reports to a person, with the exit code the command ends with.
public struct OrchError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, which fixes the exit code.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int32
        /// - Parameters:
        ///   - rawValue: the process exit code.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Something went wrong while running: exit 1.
        public static let failure = Code(rawValue: 1)
        /// A merge met conflicts; the target is untouched: exit 1.
        public static let conflict = Code(rawValue: 1)
        /// Bad input or usage (a value, a file, a field); nothing was changed: exit 2.
        public static let usage = Code(rawValue: 2)
    }

    /// The exit code's kind.
    public let code: Code
    /// What was wrong, naming the file, field or value.
    public let message: String

    /// - Parameters:
    ///   - code: the kind of failure.
    ///   - message: what was wrong.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Bad input: exit 2.
    /// - Parameters:
    ///   - message: what was wrong, naming the value.
    public static func usage(_ message: String) -> OrchError { OrchError(.usage, message) }

    /// A failure while running: exit 1.
    /// - Parameters:
    ///   - message: what went wrong.
    public static func failure(_ message: String) -> OrchError { OrchError(.failure, message) }

    public var description: String { message }
}
