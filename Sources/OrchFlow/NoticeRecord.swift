import Foundation

/// The keys of the notices the manager has received, kept in
/// `<state>/run/notices.json` so that each is delivered exactly once, across restarts too.
///
/// ```swift
/// var record = NoticeRecord(file: layout.notices)
/// if !record.contains(notice.key) { … deliver …; try record.insert([notice.key]) }
/// ```
public struct NoticeRecord: Sendable {
    /// The file.
    public let file: String
    private(set) var keys: Set<String>

    /// Loads the record (an unreadable or missing file is an empty record).
    /// - Parameters:
    ///   - file: the file.
    public init(file: String) {
        self.file = file
        let data = FileManager.default.contents(atPath: file) ?? Data()
        keys = Set((try? JSONDecoder().decode([String].self, from: data)) ?? [])
    }

    /// Whether a notice was delivered.
    /// - Parameters:
    ///   - key: the notice's key.
    public func contains(_ key: String) -> Bool { keys.contains(key) }

    /// Records delivered notices and writes the file.
    /// - Parameters:
    ///   - delivered: their keys.
    /// - Throws: when the file cannot be written.
    public mutating func insert(_ delivered: some Sequence<String>) throws {
        keys.formUnion(delivered)
        let data = try JSONEncoder().encode(keys.sorted())
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }
}
