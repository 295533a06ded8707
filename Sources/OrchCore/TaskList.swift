import Foundation

/// One `WORKER_<N>_TASK_LIST.md`, parsed so that rendering it gives back every byte
/// it was parsed from (prose, headings, blank lines, CRLF endings).
///
/// ```swift
/// var list = try TaskList(parsing: text)
/// list.append(TaskEntry(id: TaskID(8), text: "Add a --json flag"))
/// list.tick(TaskID(3))
/// let newText = list.rendered
/// ```
public struct TaskList: Equatable, Sendable {
    /// One line of the file, with its ending (`\n`, `\r\n`, or none on a last line).
    enum Line: Equatable, Sendable {
        case task(TaskEntry, prefix: String, ending: String)
        case other(String)
    }

    var lines: [Line]

    /// An empty list.
    public init() { lines = [] }

    /// Parses a task list.
    /// - Parameters:
    ///   - text: the file's contents.
    /// - Throws: ``TaskListError`` naming each malformed task line by number.
    public init(parsing text: String) throws(TaskListError) {
        lines = []
        var problems: [TaskListError.Problem] = []
        for (index, (content, ending)) in Self.splitLines(text).enumerated() {
            switch Self.parseTaskLine(content) {
            case .task(let task, let prefix):
                lines.append(.task(task, prefix: prefix, ending: ending))
            case .malformed(let reason):
                problems.append(.init(line: index + 1, text: content, reason: reason))
                lines.append(.other(content + ending))
            case .notATask:
                lines.append(.other(content + ending))
            }
        }
        if !problems.isEmpty { throw TaskListError(problems: problems) }
    }

    /// The tasks, in file order.
    public var tasks: [TaskEntry] {
        lines.compactMap { if case .task(let task, _, _) = $0 { task } else { nil } }
    }

    /// The file's text.
    public var rendered: String {
        lines.map { line in
            switch line {
            case .task(let task, let prefix, let ending): prefix + task.line + ending
            case .other(let text): text
            }
        }.joined()
    }

    /// Adds a task on a new last line, using the file's own line ending.
    /// - Parameters:
    ///   - task: the task to add.
    public mutating func append(_ task: TaskEntry) {
        let ending = lines.contains { $0.ending == "\r\n" } ? "\r\n" : "\n"
        if let last = lines.indices.last, lines[last].ending.isEmpty {
            lines[last].ending = ending
        }
        lines.append(.task(task, prefix: "", ending: ending))
    }

    /// Marks a task done (`[x]`); other bytes of its line stay.
    /// - Parameters:
    ///   - id: the task to tick.
    /// - Returns: whether the list holds the task and it was not ticked already.
    @discardableResult
    public mutating func tick(_ id: TaskID) -> Bool {
        for index in lines.indices {
            if case .task(var task, let prefix, let ending) = lines[index], task.id == id {
                guard !task.isDone else { return false }
                task.isDone = true
                lines[index] = .task(task, prefix: prefix, ending: ending)
                return true
            }
        }
        return false
    }

    static func splitLines(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            // Swift treats "\r\n" as one Character, so this finds either ending.
            if let newline = rest.firstIndex(where: { $0 == "\n" || $0 == "\r\n" }) {
                let ending = String(rest[newline])
                result.append((String(rest[..<newline]), ending))
                rest = rest[rest.index(after: newline)...]
            } else {
                result.append((String(rest), ""))
                rest = ""
            }
        }
        return result
    }

    enum ParsedLine {
        case task(TaskEntry, prefix: String)
        case malformed(String)
        case notATask
    }

    /// A task line is `- [ ] T-0007: text` (or `[x]`), possibly indented; anything
    /// that starts like a checkbox but does not fit is malformed, not prose.
    static func parseTaskLine(_ content: String) -> ParsedLine {
        let indent = content.prefix { $0 == " " || $0 == "\t" }
        let body = content.dropFirst(indent.count)
        guard body.hasPrefix("- [") || body.hasPrefix("* [") else { return .notATask }
        let marker = body.dropFirst(3)
        guard let box = marker.first, marker.dropFirst().first == "]" else {
            return .malformed("expected a checkbox `[ ]` or `[x]`")
        }
        guard box == " " || box == "x" || box == "X" else {
            return .malformed("checkbox holds `\(box)`; expected a space or x")
        }
        let afterBox = marker.dropFirst(2)
        guard afterBox.first == " " else { return .malformed("expected a space after the checkbox") }
        let rest = afterBox.dropFirst()
        guard let colon = rest.firstIndex(of: ":") else {
            return .malformed("expected `T-<number>: <text>` after the checkbox")
        }
        guard let id = TaskID(rest[..<colon]) else {
            return .malformed("`\(rest[..<colon])` is not a task id like T-0007")
        }
        let text = rest[rest.index(after: colon)...].drop { $0 == " " }
        guard !text.isEmpty else { return .malformed("task \(id) has no text") }
        let bullet = String(body.prefix(1))
        let spacing = String(rest[rest.index(after: colon)...].prefix { $0 == " " })
        let task = TaskEntry(id: id, text: String(text), isDone: box != " ", bullet: bullet, box: box, spacing: spacing)
        return .task(task, prefix: String(indent))
    }
}

extension TaskList.Line {
    var ending: String {
        get {
            switch self {
            case .task(_, _, let ending): ending
            case .other(let text): text.hasSuffix("\r\n") ? "\r\n" : text.hasSuffix("\n") ? "\n" : ""
            }
        }
        set {
            switch self {
            case .task(let task, let prefix, _): self = .task(task, prefix: prefix, ending: newValue)
            case .other(let text): self = .other(text + newValue)
            }
        }
    }
}
