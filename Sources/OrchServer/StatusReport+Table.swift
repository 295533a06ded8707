import Foundation
import OrchCore

extension StatusReport {
    /// The report as `orch status` prints it: instances, a task summary with the open tasks, credential files.
    public var table: String {
        var lines: [String] = []
        lines.append(server == "running" ? "orch: server running; target \(target)" : "orch: the server is down; tasks and branches as git has them (target \(target))")
        if let remote { lines.append("remote: \(remote.summary)") }
        lines.append("")
        var rows = [["INSTANCE", "ROLE", "STATE", "TASK", "AHEAD/BEHIND", "CREDENTIAL", "TOKENS IN/OUT", "COST", "RESTARTS", "LAST HOOK"]]
        for instance in instances {
            rows.append([
                instance.name, instance.role, instance.state, instance.task ?? "-",
                instance.ahead.map { "\($0)/\(instance.behind ?? 0)" } ?? "-",
                instance.credential ?? "-", instance.usage.map(Self.tokens) ?? "-", instance.usage.map(Self.cost) ?? "-",
                String(instance.restarts), instance.lastHookSecondsAgo.map { "\(Int($0)) s ago" } ?? "-",
            ])
        }
        lines += Self.columns(rows)
        for instance in instances where instance.detail != nil {
            lines.append("  \(instance.name): \(instance.detail!)")
        }
        lines.append("")
        let counts = Dictionary(grouping: tasks, by: \.state).mapValues(\.count)
        lines.append("tasks: \(tasks.count) — " + ["queued", "delivered", "done", "merged", "failed"].map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", "))
        for task in tasks where task.state != "merged" {
            lines.append("  \(task.id)  worker-\(task.worker)  \(task.state.padding(toLength: 9, withPad: " ", startingAt: 0))  \(task.text)")
        }
        if let mergeQueue { lines += Self.mergeQueueLines(mergeQueue) }
        if !credentials.isEmpty {
            lines.append("")
            var rows = [["CREDENTIAL FILE", "KIND", "IN USE BY", "LIMITED UNTIL", "ROTATIONS", "5H/7D USED", "TOKENS IN/OUT", "COST"]]
            for credential in credentials {
                let windows = credential.usage.flatMap { usage in usage.utilisation.map { _ in
                    "\(usage.fiveHourPercent.map { "\(Int($0.rounded()))%" } ?? "-")/\(usage.sevenDayPercent.map { "\(Int($0.rounded()))%" } ?? "-")" } }
                rows.append([credential.file, credential.kind ?? "-", credential.instance ?? "-", credential.limitedUntil ?? "-", String(credential.rotations),
                             windows ?? "-", credential.usage.map(Self.tokens) ?? "-", credential.usage.map(Self.cost) ?? "-"])
            }
            lines += Self.columns(rows)
        }
        return lines.joined(separator: "\n")
    }

    static func mergeQueueLines(_ queue: MergeQueueStatus) -> [String] {
        let checking: String = queue.checking.map { "checking \($0.branches.joined(separator: " + ")) for \(Int($0.seconds)) s" } ?? "idle"
        let waiting: [String] = queue.queued.map { "\($0.branch) (\(Int($0.seconds)) s)" }
        var lines = ["", "merge queue (`\(queue.command)`): \(checking)" + (waiting.isEmpty ? "" : "; waiting: " + waiting.joined(separator: ", "))]
        for failure in queue.failures {
            lines.append("  last failure  \(failure.branch) at \(failure.tip)  \(failure.at)  \(failure.summary)" + (failure.fixed ? "  (worked on since)" : "  (with its worker)"))
        }
        return lines
    }

    static func tokens(_ usage: InstanceUsage) -> String { "\(usage.inputTokens)/\(usage.outputTokens)" }
    static func cost(_ usage: InstanceUsage) -> String { String(format: "$%.2f", usage.costUSD) }

    /// The report as `orch status --json` prints it.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    static func columns(_ rows: [[String]]) -> [String] {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}
