import Foundation

extension EventLog {
    /// One entry as `orch logs` prints it: time, instance, event, then its details as `key=value`.
    /// - Parameters:
    ///   - line: a line of `events.jsonl`.
    /// - Returns: nil for a line that is not an entry.
    public static func format(_ line: Substring) -> (instance: String?, text: String)? {
        guard let entry = try? JSONDecoder().decode([String: String].self, from: Data(line.utf8)), let kind = entry["event"] else { return nil }
        let details = entry.filter { !["event", "instance", "time"].contains($0.key) }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = [entry["time"] ?? "", entry["instance"] ?? "-", kind, details].filter { !$0.isEmpty }.joined(separator: "  ")
        return (entry["instance"], text)
    }
}
