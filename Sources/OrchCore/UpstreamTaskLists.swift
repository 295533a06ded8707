import Foundation

/// Task lists where orch's target and the user's remote meet. People edit the
/// lists on their git host too (add a task, tick one, reword one, delete one);
/// orch only appends tasks and ticks them. So a list is merged as the person's
/// version with orch's changes laid over it, and every task ends with an id no
/// other task has.
enum UpstreamTaskLists {
    /// One line and its ending.
    typealias Line = (text: String, ending: String)

    /// One list merged: upstream's lines in upstream's order, each task that orch
    /// also holds ticked when either side ticked it and worded as whichever side
    /// reworded it; then orch's own new tasks, and orch's ticked tasks the person
    /// deleted. A task the person deleted and orch never touched stays deleted.
    static func merge(base: String?, ours: String, theirs: String) -> String {
        if ours == theirs || theirs == base { return ours }
        if ours == base { return theirs }
        let baseLines = TaskList.splitLines(base ?? ""), ourLines = TaskList.splitLines(ours), theirLines = TaskList.splitLines(theirs)
        let baseByID = index(baseLines), ourByID = index(ourLines), theirByID = index(theirLines)
        // orch's tasks the base does not hold: an upstream task with one of their texts was taken in before.
        let ourTexts = Set(ourLines.compactMap { taskParts($0.0) }.filter { $0.id.map { baseByID[$0] == nil } ?? true }.map(\.text))
        var result: [Line] = []
        var placed = Set<TaskID>()
        for line in theirLines {
            guard let parts = taskParts(line.0) else { result.append(line); continue }
            guard let id = parts.id, !placed.contains(id), let ourLine = ourByID[id], baseByID[id] != nil || taskParts(ourLine)?.text == parts.text else {
                // A task added upstream (or one whose id orch gave another task, or a second line with one id): kept unless orch
                // already holds a task with its text (taken in before, under an id of orch's).
                if !ourTexts.contains(parts.text) { result.append(line) }
                continue
            }
            placed.insert(id)
            result.append((combine(base: baseByID[id], ours: ourLine, theirs: line.0), line.1))
        }
        let ending = (theirLines + ourLines).first { !$0.1.isEmpty }?.1 ?? "\n"
        for line in ourLines {
            guard let id = taskParts(line.0)?.id, !placed.contains(id) else { continue }
            // Upstream deleted it and orch never touched it since: it stays deleted.
            if theirByID[id] == nil, let original = baseByID[id], original == line.0 { continue }
            append(line, to: &result, ending: ending)
        }
        return result.map { $0.text + $0.ending }.joined()
    }

    /// A task both sides hold: ticked if either ticked it, the wording of the side that changed it.
    static func combine(base: String?, ours: String, theirs: String) -> String {
        if ours == theirs || ours == base { return theirs }
        if theirs == base { return ours }
        guard let our = taskParts(ours), let their = taskParts(theirs), let id = our.id else { return ours }
        let baseText = base.flatMap { taskParts($0)?.text }
        let text = their.text != baseText ? their.text : our.text
        let done = our.done || their.done
        if done == their.done && text == their.text { return theirs }
        if done == our.done && text == our.text { return ours }
        return their.prefix.replacingCharacters(in: boxRange(in: their.prefix), with: done ? "x" : " ") + "\(id): \(text)"
    }

    private static func append(_ line: Line, to lines: inout [Line], ending: String) {
        if let last = lines.indices.last, lines[last].ending.isEmpty { lines[last].ending = ending }
        lines.append((line.text, line.ending.isEmpty ? ending : line.ending))
    }

    private static func index(_ lines: [Line]) -> [TaskID: String] {
        Dictionary(lines.compactMap { line in taskParts(line.text)?.id.map { ($0, line.text) } }) { first, _ in first }
    }

    /// Gives an id to every task line that has none, and a new one to every task
    /// whose id another task holds or orch used before; the tasks orch knew keep
    /// theirs. A line that starts like a task and cannot be one is escaped (`\- [ ]`),
    /// so the lists stay readable for orch.
    /// - Parameters:
    ///   - lists: list texts by file name.
    ///   - known: the ids each list held on orch's side, by file name.
    ///   - used: every other id orch handed out (delivered or failed marks).
    /// - Returns: the lists that changed, by file name.
    static func renumber(_ lists: [String: String], keeping known: [String: [TaskID: String]], used: Set<TaskID> = []) -> [String: String] {
        let parsed = lists.mapValues { TaskList.splitLines($0) }
        let allIDs = parsed.values.flatMap { $0.compactMap { taskParts($0.0)?.id } } + known.values.flatMap { $0.keys } + used
        var next = (allIDs.max()?.next) ?? TaskID(1)
        var taken = Set<TaskID>()
        var keep = Set<String>()
        // orch's tasks keep their ids: first where the text is orch's too, then wherever the id is in orch's list.
        for sameText in [true, false] {
            for (file, lines) in parsed {
                for (index, line) in lines.enumerated() {
                    guard let parts = taskParts(line.0), let id = parts.id, let text = known[file]?[id], !sameText || text == parts.text,
                          !taken.contains(id) else { continue }
                    taken.insert(id)
                    keep.insert("\(file):\(index)")
                }
            }
        }
        let reserved = Set(known.values.flatMap { $0.keys }).union(used)
        var changed: [String: String] = [:]
        for file in parsed.keys.sorted() {
            var lines = parsed[file]!
            var touched = false
            for index in lines.indices where !keep.contains("\(file):\(index)") {
                guard let (prefix, id, text, _) = taskParts(lines[index].0) else {
                    if case .malformed = TaskList.parseTaskLine(lines[index].0) {
                        lines[index].0 = escaped(lines[index].0)
                        touched = true
                    }
                    continue
                }
                if let id, !reserved.contains(id), taken.insert(id).inserted { continue }
                lines[index].0 = "\(prefix)\(next): \(text)"
                taken.insert(next)
                next = next.next
                touched = true
            }
            if touched { changed[file] = lines.map { $0.0 + $0.1 }.joined() }
        }
        return changed
    }

    /// `- [ ]` → `\- [ ]`: Markdown shows the same text, orch no longer reads it as a task.
    static func escaped(_ line: String) -> String {
        let indent = line.prefix { $0 == " " || $0 == "\t" }
        return indent + "\\" + line.dropFirst(indent.count)
    }

    static func taskID(in line: String) -> TaskID? {
        taskParts(line)?.id
    }

    /// A checkbox line's parts: everything up to the text (`- [ ] `), its id if it has one, the text, and whether it is ticked.
    static func taskParts(_ line: String) -> (prefix: String, id: TaskID?, text: String, done: Bool)? {
        let indent = line.prefix { $0 == " " || $0 == "\t" }
        let body = line.dropFirst(indent.count)
        guard body.hasPrefix("- [") || body.hasPrefix("* ["), body.count >= 6 else { return nil }
        let box = body.dropFirst(3).prefix(3)
        guard box == " ] " || box == "x] " || box == "X] " else { return nil }
        let rest = body.dropFirst(6)
        let prefix = String(line.prefix(indent.count + 6))
        let done = box.first != " "
        if let colon = rest.firstIndex(of: ":"), let id = TaskID(rest[..<colon]) {
            let text = rest[rest.index(after: colon)...].drop { $0 == " " }
            return text.isEmpty ? nil : (prefix, id, String(text), done)
        }
        let text = rest.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : (prefix, nil, text, done)
    }

    /// Where the checkbox's mark sits in a prefix like `  - [ ] `.
    private static func boxRange(in prefix: String) -> Range<String.Index> {
        let start = prefix.index(prefix.endIndex, offsetBy: -3)
        return start..<prefix.index(after: start)
    }
}
