import OrchCore

/// The running instances as the health checks see them: a tmux pane each,
/// which can be stopped and started again.
///
/// ```swift
/// let processes: any InstanceProcesses = fleet
/// if try await processes.panes()["worker-1"]?.dead == true {
///     await processes.stop(.worker(1))
///     try await processes.start(.worker(1))
/// }
/// ```
public protocol InstanceProcesses: Sendable {
    /// Every instance, manager first.
    var instances: [InstanceName] { get }
    /// Instances whose sessions were already running when this server started.
    var adopted: Set<InstanceName> { get }
    /// Every instance's pane, by instance name.
    /// - Throws: when the panes cannot be listed.
    func panes() async throws -> [String: Tmux.Pane]
    /// Starts an instance that is stopped.
    /// - Parameters:
    ///   - instance: the instance.
    /// - Throws: when it cannot be started.
    func start(_ instance: InstanceName) async throws
    /// Stops one instance (its files stay).
    /// - Parameters:
    ///   - instance: the instance.
    func stop(_ instance: InstanceName) async
    /// Stops every instance.
    func stop() async
    /// Types a line into an instance's pane and presses Enter.
    /// - Parameters:
    ///   - text: one line.
    ///   - instance: the instance.
    /// - Throws: when its session is gone.
    func type(_ text: String, into instance: InstanceName) async throws
}

extension Fleet: InstanceProcesses {
    /// Pastes into the instance's tmux pane (its container's Claude reads it) and submits.
    /// - Parameters:
    ///   - text: one line.
    ///   - instance: the instance.
    /// - Throws: ``RuntimeError`` when its session is gone.
    public func type(_ text: String, into instance: InstanceName) async throws {
        try await tmux.paste("\(instance)", text)
    }

    /// Every session's pane.
    /// - Throws: ``RuntimeError`` when tmux cannot run.
    /// The exit status of a dead pane is its container's: `docker attach`
    /// does not pass it on.
    public func panes() async throws -> [String: Tmux.Pane] {
        var panes = try await tmux.panes()
        for (name, pane) in panes where pane.dead {
            if let instance = InstanceName(name), let code = try await engine.exitCode(of: container(instance)) {
                panes[name]?.exitStatus = code
            }
        }
        return panes
    }
}
