import Foundation

/// `mergeCheck` in `orchestrator.json`: the command that must pass on a merge
/// before the target moves (the merge queue's gate, see ``MergeGate``).
///
/// ```json
/// "mergeCheck": {"command": "swift test", "timeout": 900, "batch": 4, "clean": false}
/// ```
public struct MergeCheck: Equatable, Sendable {
    /// Run with `sh -c` in the merged tree, in a container from the instances' image.
    public var command: String
    /// Seconds before the check is killed and counted as failed.
    public var timeoutSeconds: Double
    /// Up to this many ready branches are checked merged together; a failing batch is bisected.
    public var batchSize: Int
    /// Every check starts from the merged tree alone (untracked and ignored files removed, an empty HOME):
    /// no check sees what an earlier one left, at the cost of incremental builds.
    public var clean: Bool

    public init(command: String, timeoutSeconds: Double = 900, batchSize: Int = 1, clean: Bool = false) {
        self.command = command
        self.timeoutSeconds = timeoutSeconds
        self.batchSize = batchSize
        self.clean = clean
    }

    /// The program the command starts with (after any `NAME=value` assignments), to look for in the image.
    public var program: String? {
        command.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            .map(String.init)
            .first { !$0.contains("=") }
    }
}

extension MergeCheck: Decodable {
    public init(from decoder: any Decoder) throws {
        let object = try ConfigObject(decoder, known: ["command", "timeout", "batch", "clean"])
        guard let command = try object.string("command", required: true) else { throw object.fail("command", "missing; it is required") }
        guard !command.contains("\0") else { throw object.fail("command", "holds a NUL byte") }
        self.init(command: command)
        switch object.fields["timeout"] {
        case nil: break
        case .number(let seconds) where seconds > 0 && seconds.isFinite && seconds <= 86_400: timeoutSeconds = seconds
        case .number(let seconds): throw object.fail("timeout", "expected a positive number of seconds (at most 86400), found \(seconds.formatted())")
        case let other?: throw object.fail("timeout", "expected a positive number of seconds, found \(other.typeName)")
        }
        batchSize = try object.integer("batch", in: 1...64) ?? 1
        clean = try object.bool("clean") ?? false
    }
}
