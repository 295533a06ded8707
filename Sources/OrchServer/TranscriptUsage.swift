import Foundation
import OrchCore

/// Every response's tokens, from the instances' transcripts: each assistant
/// entry carries its response's `message.usage` (input, output, cache read and
/// creation tokens), one entry per content block, so a message counts once
/// (entries of one message follow each other). Read where the last read
/// stopped, whole lines only, at most 4 MiB at a time; a transcript is only
/// a regular file under the instance's own `.claude/projects` (the container
/// writes it, and names it in its hooks).
///
/// ```swift
/// let transcripts = TranscriptUsage(layout: layout)
/// let spent = await transcripts.read(.worker(1), path: event.transcriptPath)   // tokens since the last read
/// ```
public actor TranscriptUsage {
    struct Position {
        var path: String
        var offset: Int
        var lastMessage: String?
    }

    let layout: StateLayout
    private var positions: [InstanceName: Position] = [:]
    private let queue = BlockingQueue(label: "orch.transcripts")

    public nonisolated var unownedExecutor: UnownedSerialExecutor { queue.asUnownedSerialExecutor() }

    public init(layout: StateLayout) {
        self.layout = layout
    }

    /// The tokens of the responses written to `path` since the last read of it (a transcript seen first is read
    /// from its start); zero when there are none or it is not the instance's.
    public func read(_ instance: InstanceName, path: String?) -> InstanceUsage {
        guard let path else { return InstanceUsage() }
        var position = positions[instance].flatMap { $0.path == path ? $0 : nil } ?? Position(path: path, offset: 0)
        let home = InstanceHome(instance: instance, layout: layout)
        guard let chunk = home.transcriptChunk(path, from: position.offset) else { return InstanceUsage() }
        if chunk.from != position.offset { position.lastMessage = nil }
        // Whole lines only: a line still being written is read next time.
        guard let end = chunk.bytes.lastIndex(of: UInt8(ascii: "\n")) else { return InstanceUsage() }
        var spent = InstanceUsage()
        for line in chunk.bytes[..<end].split(separator: UInt8(ascii: "\n")) {
            guard let (id, usage) = Self.response(in: Data(line)), id != position.lastMessage else { continue }
            position.lastMessage = id
            spent.add(usage)
        }
        position.offset = chunk.from + end + 1
        positions[instance] = position
        return spent
    }

    /// No response has more tokens than this: a transcript that claims more is capped, so counts never near Int's range.
    static let largestResponse = 10_000_000

    /// An assistant entry's message id and tokens.
    static func response(in line: Data) -> (String, InstanceUsage)? {
        guard let entry = try? JSONSerialization.jsonObject(with: line) as? [String: Any], entry["type"] as? String == "assistant",
              let message = entry["message"] as? [String: Any], let id = message["id"] as? String,
              let usage = message["usage"] as? [String: Any] else { return nil }
        let count = { (key: String) in Int(min(max((usage[key] as? NSNumber)?.doubleValue ?? 0, 0), Double(Self.largestResponse))) }
        var tokens = InstanceUsage()
        tokens.inputTokens = count("input_tokens")
        tokens.outputTokens = count("output_tokens")
        tokens.cacheReadTokens = count("cache_read_input_tokens")
        tokens.cacheCreationTokens = count("cache_creation_input_tokens")
        return (id, tokens)
    }
}
