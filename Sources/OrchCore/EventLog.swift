import Foundation

/// The server's record of what happened, one JSON object per line in
/// `<state>/logs/events.jsonl`: hook events (their ids and kinds only),
/// restarts and their reasons, failures. Never a prompt, a reply or a secret.
///
/// ```swift
/// let log = try EventLog(file: layout.events)
/// await log.append(.restart, instance: .worker(2), ["reason": "container exited with status 137"])
/// ```
public actor EventLog {
    private let handle: FileHandle
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Opens (creating if needed) the log for appending.
    /// - Parameters:
    ///   - file: the log file.
    /// - Throws: ``OrchError`` when it cannot be opened.
    public init(file: String) throws {
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: file) {
            _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: file) else { throw OrchError.failure("cannot open \(file) for writing") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    /// Appends one entry.
    /// - Parameters:
    ///   - details: short strings; never secrets.
    public func append(_ kind: EventKind, instance: InstanceName?, _ details: [String: String] = [:], time: Date = Date()) {
        var entry = details
        entry["event"] = kind.rawValue
        if let instance { entry["instance"] = "\(instance)" }
        entry["time"] = Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time)
        guard var data = try? encoder.encode(entry) else { return }
        data.append(0x0A)
        handle.write(data)
    }

    /// Each instance's last entry among `kinds`, read from a log file (for a server that starts
    /// where an earlier one stopped).
    /// - Parameters:
    ///   - file: the log file.
    ///   - kinds: the entries that count.
    public static func lastEntries(in file: String, among kinds: Set<EventKind>) -> [InstanceName: EventKind] {
        guard let data = FileManager.default.contents(atPath: file) else { return [:] }
        var last: [InstanceName: EventKind] = [:]
        for line in data.split(separator: 0x0A) {
            guard let entry = try? JSONDecoder().decode([String: String].self, from: Data(line)),
                  let kind = entry["event"].map({ EventKind(rawValue: $0) }), kinds.contains(kind),
                  let instance = entry["instance"].flatMap({ InstanceName($0) }) else { continue }
            last[instance] = kind
        }
        return last
    }
}
