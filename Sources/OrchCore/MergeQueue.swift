import Foundation
import GitKit

/// The merge queue of one target, kept in orch's references so that every
/// `orch merge` process and the server see the same queue and a crash loses
/// none of it: `refs/orch/merge-queue/<target>/<branch>` points at a blob
/// holding the ``Entry``; when the gate is done with it, its ``MergeReport``
/// goes to `refs/orch/merge-result/<target>/<branch>` and the entry is removed.
/// An entry is removed only after its result is written, so a gate cut short
/// leaves the entry to be gated again, never merged unchecked.
public struct MergeQueue: Sendable {
    /// One branch waiting for the gate.
    public struct Entry: Codable, Sendable, Equatable {
        public var branch: String
        /// When it was queued (Unix seconds): the queue's order.
        public var since: Double
        /// The blob holding it (empty in the blob itself): what a waiter asks about.
        public var id: String = ""
    }

    /// What the gate did with an entry.
    public struct Result: Codable, Sendable, Equatable {
        public var entry: String
        public var report: MergeReport
    }

    public let target: String

    public init(target: String) {
        self.target = target
    }

    static let queuePrefix = "refs/orch/merge-queue/"
    static let resultPrefix = "refs/orch/merge-result/"

    /// A name as one reference component: a branch's `/` would make a folder.
    static func key(_ name: String) -> String {
        name.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    private var queueFolder: String { Self.queuePrefix + Self.key(target) + "/" }
    private var resultFolder: String { Self.resultPrefix + Self.key(target) + "/" }

    /// Queues a branch; one already queued keeps its place (and its entry is returned).
    /// - Throws: ``GitError`` when git fails.
    public func enqueue(_ branch: String, in repository: Repository, now: Date = Date()) throws -> Entry {
        let name = queueFolder + Self.key(branch)
        for _ in 0..<100 {
            if let existing = try repository.referenceTarget(name), let entry = try? entry(at: existing, in: repository) {
                return entry
            }
            var entry = Entry(branch: branch, since: now.timeIntervalSince1970)
            let blob = try repository.createBlob(try JSONEncoder.sorted.encode(entry))
            entry.id = blob.hex
            do {
                try repository.updateReference(name, to: blob, expecting: nil, message: "orch: queue \(branch)")
                return entry
            } catch let error as GitError where error.isLostRace {
                continue
            }
        }
        throw OrchError.failure("cannot queue \(branch): its queue entry keeps changing")
    }

    /// The entries, oldest first (a tie by branch name).
    /// - Throws: ``GitError`` when git fails.
    public func entries(in repository: Repository) throws -> [Entry] {
        try repository.references(withPrefix: queueFolder).values
            .compactMap { try? entry(at: $0, in: repository) }
            .sorted { ($0.since, $0.branch) < ($1.since, $1.branch) }
    }

    /// How many results per branch are kept for waiters (a branch queued again while one waits).
    static let resultsKept = 8

    /// Writes an entry's result, then takes the entry off the queue.
    /// - Throws: ``GitError`` when git fails (the entry then stays queued: it is gated again).
    public func finish(_ entry: Entry, with report: MergeReport, in repository: Repository) throws {
        let resultName = resultFolder + Self.key(entry.branch)
        for attempt in 1...100 {
            let previous = try repository.referenceTarget(resultName)
            let kept = previous.flatMap { try? JSONDecoder().decode([Result].self, from: repository.blob($0)) } ?? []
            let results = Array(([Result(entry: entry.id, report: report)] + kept.filter { $0.entry != entry.id }).prefix(Self.resultsKept))
            let blob = try repository.createBlob(try JSONEncoder.sorted.encode(results))
            do {
                try repository.updateReference(resultName, to: blob, expecting: previous, message: "orch: gated \(entry.branch)")
                break
            } catch let error as GitError where error.isLostRace && attempt < 100 {
                continue
            }
        }
        guard let id = ObjectID(hex: entry.id) else { return }
        do {
            try repository.deleteReference(queueFolder + Self.key(entry.branch), expecting: id)
        } catch let error as GitError where error.code == .modified || error.code == .notFound {
            // Finished by another gate already (a result of its own is written): nothing left to take off.
        }
    }

    /// The result for an entry, once the gate is done with it.
    /// - Throws: ``GitError`` when git fails.
    public func result(of entry: Entry, in repository: Repository) throws -> MergeReport? {
        guard let blob = try repository.referenceTarget(resultFolder + Self.key(entry.branch)),
              let results = try? JSONDecoder().decode([Result].self, from: repository.blob(blob)) else { return nil }
        return results.first { $0.entry == entry.id }?.report
    }

    /// Whether the entry is still queued.
    public func isQueued(_ entry: Entry, in repository: Repository) throws -> Bool {
        try repository.referenceTarget(queueFolder + Self.key(entry.branch))?.hex == entry.id
    }

    private func entry(at blob: ObjectID, in repository: Repository) throws -> Entry {
        var entry = try JSONDecoder().decode(Entry.self, from: repository.blob(blob))
        entry.id = blob.hex
        return entry
    }
}

extension JSONEncoder {
    /// Keys in order: the same record is the same blob.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
