import Foundation

/// The `claudeConfigs` files and who uses which: each file by one instance at
/// most (clients sharing an OAuth file log each other out), which files are
/// rate-limited until when, and how often each was rotated away from.
///
/// It is kept in `<state>/run/credentials.json` (mode 0600): file paths,
/// instance names and times, never a secret, so limits survive a restart.
///
/// ```swift
/// var pool = try CredentialPool.load(files: files, instances: workspace.instances, stateFile: layout.run + "/credentials.json")
/// pool.markLimited(.worker(2), until: reset)
/// if let next = pool.rotate(.worker(2), now: Date()) { … restart worker-2 on next … }
/// ```
public struct CredentialPool: Sendable, Equatable {
    /// What the pool knows of one file.
    public struct Entry: Codable, Sendable, Equatable {
        /// The instance using it.
        public var instance: String?
        /// Rate-limited until then.
        public var limitedUntil: Date?
        /// How often an instance was moved off it.
        public var rotations = 0
    }

    /// The files, in glob order.
    public let files: [CredentialFile]
    /// By file path.
    public private(set) var entries: [String: Entry]
    /// Where the pool is kept.
    public let stateFile: String

    /// Loads the kept state (if any) and gives every instance a file: the one it had,
    /// else the first free one not limited, else the first free one.
    /// - Parameters:
    ///   - files: the pool's files.
    ///   - instances: every instance, manager first.
    ///   - stateFile: the kept state.
    ///   - now: the time limits are compared with.
    /// - Throws: ``OrchError`` when there are fewer files than instances.
    public static func load(files: [CredentialFile], instances: [InstanceName], stateFile: String, now: Date = Date()) throws -> CredentialPool {
        guard files.count >= instances.count else {
            throw OrchError.usage("\(files.count) credential file(s) for \(instances.count) instances")
        }
        var kept: [String: Entry] = [:]
        if let data = FileManager.default.contents(atPath: stateFile) {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            kept = (try? decoder.decode([String: Entry].self, from: data)) ?? [:]
        }
        var entries: [String: Entry] = [:]
        for file in files {
            var entry = kept[file.path] ?? Entry()
            if let until = entry.limitedUntil, until <= now { entry.limitedUntil = nil }
            entry.instance = nil
            entries[file.path] = entry
        }
        var pool = CredentialPool(files: files, entries: entries, stateFile: stateFile)
        let names = Set(instances.map(\.description))
        for instance in instances {
            // Its previous file, unless that one is still limited (it would hit the limit again at once).
            if let previous = kept.first(where: { $0.value.instance == instance.description && names.contains(instance.description) })?.key,
               pool.entries[previous] != nil, pool.entries[previous]?.instance == nil, pool.entries[previous]?.limitedUntil == nil {
                pool.entries[previous]?.instance = instance.description
            }
        }
        for instance in instances where pool.file(of: instance) == nil {
            let free = files.filter { pool.entries[$0.path]?.instance == nil }
            let choice = free.first { pool.entries[$0.path]?.limitedUntil == nil } ?? free.first!
            pool.entries[choice.path]?.instance = instance.description
        }
        return pool
    }

    private init(files: [CredentialFile], entries: [String: Entry], stateFile: String) {
        self.files = files
        self.entries = entries
        self.stateFile = stateFile
    }

    /// The file an instance uses.
    /// - Parameters:
    ///   - instance: the instance.
    public func file(of instance: InstanceName) -> CredentialFile? {
        files.first { entries[$0.path]?.instance == instance.description }
    }

    /// Until when an instance's file is limited, if it is.
    /// - Parameters:
    ///   - instance: the instance.
    public func limitedUntil(of instance: InstanceName) -> Date? {
        file(of: instance).flatMap { entries[$0.path]?.limitedUntil }
    }

    /// Marks the file an instance uses as limited.
    /// - Parameters:
    ///   - instance: the instance that hit the limit.
    ///   - until: when the limit resets.
    /// - Returns: false when the file was already marked (another signal of the same limit).
    @discardableResult
    public mutating func markLimited(_ instance: InstanceName, until: Date) -> Bool {
        guard let file = file(of: instance), entries[file.path]?.limitedUntil == nil else { return false }
        entries[file.path]?.limitedUntil = until
        return true
    }

    /// Moves an instance to a free file that is not limited (limits that ran out are lifted first).
    /// - Parameters:
    ///   - instance: the instance.
    ///   - now: the time limits are compared with.
    /// - Returns: its new file, or nil when none is free (it keeps its file).
    ///   - use: what is known of each file's window use (by path; unknown counts as none): the least used free file is taken.
    public mutating func rotate(_ instance: InstanceName, now: Date, use: [String: Double] = [:]) -> CredentialFile? {
        liftExpired(now: now)
        let current = file(of: instance)
        if let current, entries[current.path]?.limitedUntil == nil { return current }
        let free = files.filter { entries[$0.path]?.instance == nil && entries[$0.path]?.limitedUntil == nil }
        guard let next = free.min(by: { use[$0.path] ?? 0 < use[$1.path] ?? 0 }) else { return nil }
        if let current {
            entries[current.path]?.instance = nil
            entries[current.path]?.rotations += 1
        }
        entries[next.path]?.instance = instance.description
        return next
    }

    /// Undoes a move of `instance` from `before` to `after` that did not happen (its home still holds `before`'s
    /// credentials): those two files' assignments and rotation counts go back, their limits and every other file's
    /// entry stay as they are now (another instance's move meanwhile is kept).
    public mutating func undoMove(of instance: InstanceName, from before: CredentialFile, to after: CredentialFile) {
        guard entries[after.path]?.instance == instance.description else { return }
        entries[after.path]?.instance = nil
        entries[before.path]?.instance = instance.description
        if let rotations = entries[before.path]?.rotations, rotations > 0 { entries[before.path]?.rotations = rotations - 1 }
    }

    /// Which file each instance held in the last run, as the kept state says (what its home still holds).
    public static func previousHolders(files: [CredentialFile], stateFile: String) -> [InstanceName: CredentialFile] {
        guard let data = FileManager.default.contents(atPath: stateFile) else { return [:] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let kept = try? decoder.decode([String: Entry].self, from: data) else { return [:] }
        var holders: [InstanceName: CredentialFile] = [:]
        for file in files {
            if let name = kept[file.path]?.instance, let instance = InstanceName(name) { holders[instance] = file }
        }
        return holders
    }

    /// Whether a file is free and not limited (limits that ran out count as lifted).
    public func hasFreeFile(now: Date) -> Bool {
        files.contains { entries[$0.path]?.instance == nil && (entries[$0.path]?.limitedUntil.map { $0 <= now } ?? true) }
    }

    /// When the first limit runs out.
    public var earliestReset: Date? {
        entries.values.compactMap(\.limitedUntil).min()
    }

    /// Lifts the limits whose reset time has passed.
    /// - Parameters:
    ///   - now: the time.
    public mutating func liftExpired(now: Date) {
        for (path, entry) in entries {
            if let until = entry.limitedUntil, until <= now { entries[path]?.limitedUntil = nil }
        }
    }

    /// Writes the kept state (mode 0600).
    /// - Throws: when the file cannot be written.
    public func save() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = try encoder.encode(entries)
        try FileManager.default.createDirectory(atPath: (stateFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let temporary = stateFile + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw OrchError.failure("cannot write \(temporary)")
        }
        if rename(temporary, stateFile) != 0 { throw OrchError.failure("cannot write \(stateFile)") }
    }
}
