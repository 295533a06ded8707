/// Task lines that could not be read, each with its line number.
public struct TaskListError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One malformed line.
    public struct Problem: Equatable, Sendable {
        /// 1-based line number.
        public let line: Int
        /// The line as written.
        public let text: String
        /// What is wrong with it.
        public let reason: String
    }

    /// The file the lines are in, when known.
    public var file: String?
    /// Every malformed line, in order.
    public let problems: [Problem]

    init(file: String? = nil, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(file ?? "task list"):\($0.line): \($0.reason): \($0.text)" }.joined(separator: "\n")
    }
}
