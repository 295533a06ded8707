import Foundation
import OrchCore

/// What `orch status` shows, and its `--json` schema (stable: fields are only ever added):
///
/// ```json
/// {"server": "running", "target": "main",
///  "instances": [{"name": "worker-1", "role": "worker", "state": "working", "task": "T-0004",
///                 "branch": "orch/worker-1", "ahead": 2, "behind": 0, "credential": "1.json",
///                 "restarts": 0, "lastHookSecondsAgo": 3.2}],
///  "tasks": [{"id": "T-0004", "worker": 1, "text": "Write the usage notes", "state": "delivered"}],
///  "credentials": [{"file": "1.json", "instance": "worker-1", "limitedUntil": null, "rotations": 0, "kind": "oauthToken"}],
///  "remote": {"url": "git@host:team/app.git", "ahead": 0, "behind": 0, "lastPush": "2026-12-02T21:04:05Z", …}}
/// ```
///
/// `state` is one of starting, working, idle, restarting, failed, `rate-limited until <ISO 8601 time>`,
/// or unknown (no server); task states are queued, delivered, done, merged, failed.
public struct StatusReport: Codable, Sendable, Equatable {
    /// One instance.
    public struct Instance: Codable, Sendable, Equatable {
        /// `manager` or `worker-N`.
        public var name: String
        /// `manager` or `worker`.
        public var role: String
        /// starting, working, idle, restarting, failed, `rate-limited until …`, or unknown.
        public var state: String
        /// The task handed to it and not done yet.
        public var task: String?
        /// Its branch.
        public var branch: String
        /// Commits on its branch the target lacks.
        public var ahead: Int?
        /// Commits on the target its branch lacks.
        public var behind: Int?
        /// The name of the credential file it uses.
        public var credential: String?
        /// Restarts in this run of the server.
        public var restarts: Int
        /// Seconds since its last hook event.
        public var lastHookSecondsAgo: Double?
        /// Why it is restarting or failed.
        public var detail: String?
        /// Its sessions' tokens and cost in this run of the server, its windows as last reported; nil with the server down.
        public var usage: InstanceUsage?
    }

    /// One task.
    public struct TaskRow: Codable, Sendable, Equatable {
        /// `T-0007`.
        public var id: String
        /// The worker whose list holds it.
        public var worker: Int
        /// What to do.
        public var text: String
        /// queued, delivered, done, merged or failed.
        public var state: String
    }

    /// One credential file, by name only.
    public struct Credential: Codable, Sendable, Equatable {
        /// The file's name.
        public var file: String
        /// The instance using it.
        public var instance: String?
        /// When its rate limit resets (ISO 8601), if it is limited.
        public var limitedUntil: String?
        /// How often an instance was moved off it.
        public var rotations: Int
        /// What it holds: `oauth` (a claude.ai login, refreshed as it runs), `oauthToken` (a long-lived
        /// `CLAUDE_CODE_OAUTH_TOKEN` from `claude setup-token`) or `apiKey`; nil when it cannot be read.
        public var kind: String?
        /// Tokens and cost spent on it in this run of the server, and its windows as its holder last reported them.
        public var usage: InstanceUsage?
    }

    /// `running`, or `down` when no server answered (then instance states are `unknown`).
    public var server: String
    /// The target branch.
    public var target: String
    /// Every instance, manager first.
    public var instances: [Instance]
    /// Every task, by worker, in list order.
    public var tasks: [TaskRow]
    /// Every credential file of the pool.
    public var credentials: [Credential]
    /// The target's sync state with the user's remote (as of the last fetch or push).
    public var remote: RemoteSyncStatus?
    /// The merge queue, when `mergeCheck` is set.
    public var mergeQueue: MergeQueueStatus?

    /// The part git and the state directory tell, with no server: tasks, branches, credential files.
    /// - Parameters:
    ///   - layout: the state directory.
    ///   - target: the target branch.
    ///   - instances: every instance.
    /// - Throws: ``OrchError`` or git's error when the clone cannot be read.
    public static func fromState(layout: StateLayout, target: String, instances: [InstanceName], mergeCheck: MergeCheck? = nil) throws -> StatusReport {
        let state = try CloneState.read(layout: layout, target: target, instances: instances)
        let pool = Self.keptCredentials(layout: layout)
        var rows: [Instance] = []
        for instance in instances {
            var row = Instance(name: "\(instance)", role: instance.role, state: "unknown", branch: instance.branch, restarts: 0)
            row.ahead = state.branches[instance]?.ahead
            row.behind = state.branches[instance]?.behind
            if case .worker(let number) = instance, let current = state.ledger.current(of: number), current.state == .delivered {
                row.task = current.id.description
            }
            row.credential = pool.first { $0.instance == "\(instance)" }?.file
            rows.append(row)
        }
        var remote = RemoteSyncStatus(url: state.remoteURL ?? "origin")
        (remote.ahead, remote.behind) = (state.remote?.ahead, state.remote?.behind)
        var report = StatusReport(server: "down", target: target, instances: rows,
                                  tasks: state.ledger.tasks.map { TaskRow(id: $0.id.description, worker: $0.worker, text: $0.text, state: $0.state.rawValue) },
                                  credentials: pool, remote: remote)
        if let mergeCheck {
            report.mergeQueue = try MergeQueueStatus.read(repository: layout.clone, target: target, command: mergeCheck.command)
        }
        return report
    }

    /// Fills in what only the running server knows.
    /// - Parameters:
    ///   - statuses: the instances' live status.
    ///   - pool: the credential pool as the server holds it.
    ///   - now: the time.
    ///   - remote: the sync state with the user's remote.
    ///   - usage: tokens, cost and windows by credential file path.
    public mutating func addLive(statuses: [InstanceName: InstanceStatus], pool: CredentialPool?, remote: RemoteSyncStatus? = nil,
                                 usage: [String: InstanceUsage] = [:], now: Date = Date()) {
        server = "running"
        if let remote { self.remote = remote }
        for index in instances.indices {
            guard let name = InstanceName(instances[index].name), let status = statuses[name] else { continue }
            instances[index].restarts = status.restarts
            instances[index].usage = status.usage
            instances[index].lastHookSecondsAgo = status.lastEvent == nil ? nil : (now.timeIntervalSince(status.lastActivity) * 10).rounded() / 10
            switch status.health {
            case .starting: instances[index].state = "starting"
            case .running: instances[index].state = status.working ? "working" : "idle"
            case .waitingToRestart(let reason, _):
                instances[index].state = "restarting"
                instances[index].detail = reason
            case .failed(let reason):
                instances[index].state = "failed"
                instances[index].detail = reason
            case .paused(let until):
                instances[index].state = "rate-limited until \(Self.format(until))"
            }
        }
        if let pool {
            credentials = Self.rows(of: pool).enumerated().map { index, row in
                var row = row
                row.usage = usage[pool.files[index].path]
                return row
            }
            for index in instances.indices {
                instances[index].credential = credentials.first { $0.instance == instances[index].name }?.file
            }
        }
    }

    static func rows(of pool: CredentialPool) -> [Credential] {
        pool.files.map { file in
            let entry = pool.entries[file.path]
            return Credential(file: file.name, instance: entry?.instance, limitedUntil: entry?.limitedUntil.map(format), rotations: entry?.rotations ?? 0,
                              kind: file.kind.rawValue)
        }
    }

    static func keptCredentials(layout: StateLayout) -> [Credential] {
        guard let data = FileManager.default.contents(atPath: layout.credentialState) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let entries = try? decoder.decode([String: CredentialPool.Entry].self, from: data) else { return [] }
        return entries.sorted { $0.key < $1.key }.map { path, entry in
            Credential(file: (path as NSString).lastPathComponent, instance: entry.instance, limitedUntil: entry.limitedUntil.map(format), rotations: entry.rotations,
                       kind: (try? CredentialFile.load(path: path))?.kind.rawValue)
        }
    }

    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: false).format(date)
    }
}
