import Foundation

/// Task lists where orch's target and the user's remote meet. People edit the
/// lists on their git host too (add a task, tick one); those edits are kept,
/// and every task ends with an id no other task has.
enum UpstreamTaskLists {
    /// One list merged line by line. orch's lines stay in their order; a line that
    /// orch left as it was in the merge base takes upstream's edit (a tick, new
    /// wording); lines upstream added are appended. Nothing is dropped, so a task
    /// that orch may already have handed out never disappears.
    static func merge(base: String?, ours: String, theirs: String) -> String {
        if ours == theirs || theirs == base { return ours }
        if ours == base { return theirs }
        let baseLines = TaskList.splitLines(base ?? "")
        let ourLines = TaskList.splitLines(ours)
        let theirLines = TaskList.splitLines(theirs)
        let baseByID = Dictionary(baseLines.compactMap { line in taskID(in: line.0).map { ($0, line.0) } }) { first, _ in first }
        let theirByID = Dictionary(theirLines.compactMap { line in taskID(in: line.0).map { ($0, line.0) } }) { first, _ in first }
        var result = ourLines.map { line -> (String, String) in
            guard let id = taskID(in: line.0), baseByID[id] == line.0, let edited = theirByID[id] else { return line }
            return (edited, line.1)
        }
        let known = Set(baseLines.map(\.0)).union(result.map(\.0)).union(ourLines.map(\.0))
        let added = theirLines.filter { !known.contains($0.0) && !$0.0.trimmingCharacters(in: .whitespaces).isEmpty }
        if !added.isEmpty, let last = result.indices.last, result[last].1.isEmpty {
            result[last].1 = theirLines.first(where: { !$0.1.isEmpty })?.1 ?? "\n"
        }
        result += added.map { ($0.0, $0.1.isEmpty ? "\n" : $0.1) }
        return result.map { $0.0 + $0.1 }.joined()
    }

    /// Gives an id to every task line that has none, and a new one to every task
    /// whose id another task already holds; the tasks orch knew keep theirs.
    /// - Parameters:
    ///   - lists: list texts by file name.
    ///   - known: the ids each list held on orch's side, by file name.
    /// - Returns: the lists that changed, by file name.
    static func renumber(_ lists: [String: String], keeping known: [String: Set<TaskID>]) -> [String: String] {
        let parsed = lists.mapValues { TaskList.splitLines($0) }
        let allIDs = parsed.values.flatMap { $0.compactMap { taskID(in: $0.0) } } + known.values.flatMap { $0 }
        var next = (allIDs.max()?.next) ?? TaskID(1)
        var taken = Set<TaskID>()
        var keep = Set<String>()  // "file:line index"
        for (file, lines) in parsed {
            for (index, line) in lines.enumerated() {
                if let id = taskID(in: line.0), known[file]?.contains(id) == true, taken.insert(id).inserted { keep.insert("\(file):\(index)") }
            }
        }
        let orchIDs = Set(known.values.flatMap { $0 })
        var changed: [String: String] = [:]
        for file in parsed.keys.sorted() {
            var lines = parsed[file]!
            var touched = false
            for index in lines.indices where !keep.contains("\(file):\(index)") {
                guard let (prefix, id, text) = taskParts(lines[index].0) else { continue }
                if let id, !orchIDs.contains(id), taken.insert(id).inserted { continue }
                lines[index].0 = "\(prefix)\(next): \(text)"
                taken.insert(next)
                next = next.next
                touched = true
            }
            if touched { changed[file] = lines.map { $0.0 + $0.1 }.joined() }
        }
        return changed
    }

    static func taskID(in line: String) -> TaskID? {
        taskParts(line)?.id
    }

    /// A checkbox line's parts: everything up to the text (`- [ ] `), its id if it has one, and the text.
    static func taskParts(_ line: String) -> (prefix: String, id: TaskID?, text: String)? {
        let indent = line.prefix { $0 == " " || $0 == "\t" }
        let body = line.dropFirst(indent.count)
        guard body.hasPrefix("- [") || body.hasPrefix("* ["), body.count >= 6 else { return nil }
        let box = body.dropFirst(3).prefix(3)
        guard box == " ] " || box == "x] " || box == "X] " else { return nil }
        let rest = body.dropFirst(6)
        let prefix = String(line.prefix(indent.count + 6))
        if let colon = rest.firstIndex(of: ":"), let id = TaskID(rest[..<colon]) {
            let text = rest[rest.index(after: colon)...].drop { $0 == " " }
            return text.isEmpty ? nil : (prefix, id, String(text))
        }
        let text = rest.trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : (prefix, nil, text)
    }
}
