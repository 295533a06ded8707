/// One task line: `- [ ] T-0007: Add a --json flag to the report command`.
public struct TaskEntry: Equatable, Sendable {
    /// The task's id.
    public let id: TaskID
    /// What to do, as written after the id.
    public let text: String
    /// `[x]`: merged into the target.
    public var isDone: Bool

    // How the line was written, so an untouched line renders byte for byte.
    let bullet: String
    let box: Character
    let spacing: String

    /// - Parameters:
    ///   - id: the task's id.
    ///   - text: what to do, one line.
    ///   - isDone: whether it is ticked.
    public init(id: TaskID, text: String, isDone: Bool = false) {
        self.init(id: id, text: text, isDone: isDone, bullet: "-", box: isDone ? "x" : " ", spacing: " ")
    }

    init(id: TaskID, text: String, isDone: Bool, bullet: String, box: Character, spacing: String) {
        self.id = id
        self.text = text
        self.isDone = isDone
        self.bullet = bullet
        self.box = box
        self.spacing = spacing
    }

    var line: String {
        let mark: Character = isDone ? (box == " " ? "x" : box) : " "
        return "\(bullet) [\(mark)] \(id):\(spacing)\(text)"
    }

    public static func == (lhs: TaskEntry, rhs: TaskEntry) -> Bool {
        lhs.id == rhs.id && lhs.text == rhs.text && lhs.isDone == rhs.isDone
    }
}
