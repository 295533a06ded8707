import Foundation
import GitKit

/// Every `WORKER_<N>_TASK_LIST.md` at one commit of the target branch.
public struct TaskBoard: Sendable {
    /// The lists by worker number.
    public private(set) var lists: [Int: TaskList]

    /// The file name of worker `worker`'s list.
    /// - Parameters:
    ///   - worker: the worker's number, from 1.
    public static func fileName(worker: Int) -> String { "WORKER_\(worker)_TASK_LIST.md" }

    /// The worker number a file name belongs to, or nil for any other file.
    /// - Parameters:
    ///   - fileName: a file name in the repository's root.
    public static func worker(ofFileName fileName: String) -> Int? {
        guard fileName.hasPrefix("WORKER_"), fileName.hasSuffix("_TASK_LIST.md") else { return nil }
        let digits = fileName.dropFirst("WORKER_".count).dropLast("_TASK_LIST.md".count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits), number > 0 else { return nil }
        return number
    }

    /// Reads the lists in the root of a tree snapshot.
    /// - Parameters:
    ///   - snapshot: the target branch's files.
    /// - Throws: ``TaskListError`` naming the file and line of malformed tasks or duplicated ids;
    ///   ``GitError`` when the tree cannot be read.
    public init(_ snapshot: TreeSnapshot) throws {
        lists = [:]
        var seen: [TaskID: String] = [:]
        for name in try snapshot.rootFileNames().sorted() {
            guard let worker = Self.worker(ofFileName: name), let data = try snapshot.file(name) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            var list: TaskList
            do {
                list = try TaskList(parsing: text)
            } catch {
                var error = error
                error.file = name
                throw error
            }
            for (index, line) in list.lines.enumerated() {
                guard case .task(let task, _, _) = line else { continue }
                if let other = seen[task.id] {
                    throw TaskListError(file: name, problems: [.init(line: index + 1, text: task.line, reason: "\(task.id) is also in \(other)")])
                }
                seen[task.id] = name
            }
            lists[worker] = list
        }
    }

    /// Every task with the worker whose list holds it.
    public var tasks: [(worker: Int, task: TaskEntry)] {
        lists.keys.sorted().flatMap { worker in lists[worker]!.tasks.map { (worker, $0) } }
    }

    /// The id after the highest one in any list or in `used` (ids whose lines may be gone).
    public func nextID(after used: Set<TaskID> = []) -> TaskID {
        (tasks.map(\.task.id) + used).max()?.next ?? TaskID(1)
    }

    /// Adds a task to a worker's list, creating the list when missing.
    /// - Parameters:
    ///   - task: the task.
    ///   - worker: the worker's number.
    public mutating func append(_ task: TaskEntry, worker: Int) {
        lists[worker, default: Self.newList(worker: worker)].append(task)
    }

    /// Ticks tasks wherever they are.
    /// - Parameters:
    ///   - ids: the tasks to tick.
    /// - Returns: the workers whose lists changed.
    public mutating func tick(_ ids: some Sequence<TaskID>) -> Set<Int> {
        var changed: Set<Int> = []
        for id in ids {
            for worker in lists.keys where lists[worker]!.tick(id) {
                changed.insert(worker)
            }
        }
        return changed
    }

    /// The file changes that write the given workers' lists.
    /// - Parameters:
    ///   - workers: whose lists to write.
    public func changes(for workers: some Sequence<Int>) -> [FileChange] {
        workers.sorted().compactMap { worker in
            lists[worker].map { .write(path: Self.fileName(worker: worker), contents: Data($0.rendered.utf8)) }
        }
    }

    /// A board with an empty list for each of `workers`.
    /// - Parameters:
    ///   - workers: the worker numbers.
    public static func empty(workers: [Int]) -> TaskBoard {
        TaskBoard(lists: Dictionary(uniqueKeysWithValues: workers.map { ($0, newList(worker: $0)) }))
    }

    private init(lists: [Int: TaskList]) {
        self.lists = lists
    }

    static func newList(worker: Int) -> TaskList {
        // A parse of fixed text that holds no task cannot fail.
        try! TaskList(parsing: "# Tasks for worker \(worker)\n\nManaged by orch: one task a line; `[x]` means merged into the target.\n\n")
    }
}
