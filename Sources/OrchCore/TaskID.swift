/// A task's id, `T-0007`: unique across all task lists and never reused.
public struct TaskID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The id's number.
    public let number: Int

    /// - Parameters:
    ///   - number: a positive number.
    public init(_ number: Int) {
        precondition(number > 0, "task ids start at 1")
        self.number = number
    }

    /// Parses `T-` followed by digits.
    /// - Parameters:
    ///   - text: e.g. `T-0007` (at least one digit; more than four are fine).
    public init?(_ text: some StringProtocol) {
        guard text.hasPrefix("T-") else { return nil }
        let digits = text.dropFirst(2)
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits), number > 0 else { return nil }
        self.number = number
    }

    /// The id after this one.
    public var next: TaskID { TaskID(number + 1) }

    /// `T-` and at least four digits.
    public var description: String {
        let digits = String(number)
        return "T-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The commit trailer that says a commit finishes a task: `Orch-Task: T-0007`.
    public static let trailerKey = "Orch-Task"

    /// This task's trailer line.
    public var trailer: String { "\(Self.trailerKey): \(self)" }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.number < rhs.number }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
