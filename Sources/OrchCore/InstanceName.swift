/// An instance's name: `manager`, or `worker-N` for N from 1.
public enum InstanceName: Hashable, Comparable, Sendable, CustomStringConvertible {
    case manager
    case worker(Int)

    /// Parses `manager` or `worker-N`.
    /// - Parameters:
    ///   - text: the name.
    public init?(_ text: String) {
        if text == "manager" { self = .manager; return }
        guard text.hasPrefix("worker-"), let number = Int(text.dropFirst("worker-".count)), number >= 1 else { return nil }
        self = .worker(number)
    }

    /// The manager and `workerCount` workers, in that order.
    /// - Parameters:
    ///   - workerCount: how many workers.
    public static func all(workerCount: Int) -> [InstanceName] {
        [.manager] + (1...max(1, workerCount)).map(InstanceName.worker)
    }

    public var description: String {
        switch self {
        case .manager: "manager"
        case .worker(let number): "worker-\(number)"
        }
    }

    /// `manager` or `worker`.
    public var role: String {
        if case .manager = self { return "manager" }
        return "worker"
    }

    /// The instance's branch, `orch/manager` or `orch/worker-N`: the one place branch names are made.
    public var branch: String { Self.branchPrefix + description }

    /// What every instance's branch starts with.
    public static let branchPrefix = "orch/"

    /// The instance whose branch this is (`orch/worker-2`), else nil.
    public init?(branch: String) {
        guard branch.hasPrefix(Self.branchPrefix) else { return nil }
        self.init(String(branch.dropFirst(Self.branchPrefix.count)))
    }

    /// The worker's number, nil for the manager.
    public var workerNumber: Int? {
        if case .worker(let number) = self { return number }
        return nil
    }
}
