import Foundation

/// A commit as orch reads it from a branch.
public struct Commit: Equatable, Sendable {
    /// The commit's id.
    public let id: ObjectID
    /// Its parents, first parent first.
    public let parents: [ObjectID]
    /// The full message.
    public let message: String
    /// The trailers of the message's last paragraph, in order (`Orch-Task: T-0007` gives `("Orch-Task", "T-0007")`).
    public let trailers: [Trailer]

    /// The first line of the message.
    public var summary: String { message.firstLine }

    /// The values of every trailer named `key` (compared case-insensitively, as git does).
    /// - Parameters:
    ///   - key: the trailer's name, e.g. `Orch-Task`.
    public func trailerValues(_ key: String) -> [String] {
        trailers.filter { $0.key.caseInsensitiveCompare(key) == .orderedSame }.map(\.value)
    }
}

/// One `Key: value` line of a commit message's trailer block.
public struct Trailer: Equatable, Sendable {
    /// The trailer's name.
    public let key: String
    /// Its value.
    public let value: String

    /// - Parameters:
    ///   - key: the trailer's name.
    ///   - value: its value.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

