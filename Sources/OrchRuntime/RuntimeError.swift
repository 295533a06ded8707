/// A failure of an external program orch drives (tmux, docker).
public struct RuntimeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: Int
        /// - Parameters:
        ///   - rawValue: the code's number.
        public init(rawValue: Int) { self.rawValue = rawValue }

        /// The program is not installed (or not on PATH).
        public static let programMissing = Code(rawValue: 1)
        /// The program ran and exited with a failure.
        public static let commandFailed = Code(rawValue: 2)
    }

    /// The kind of failure.
    public let code: Code
    /// The command line, program first.
    public let command: [String]
    /// What the program said on standard error (trimmed), or why it could not start.
    public let message: String

    public var description: String {
        "\(command.joined(separator: " ")): \(message)"
    }
}
