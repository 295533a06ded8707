import Foundation
import OrchCore

/// What the task flow must know of the instances' health before it types into
/// a pane: who is up, who was heard from when, and which sessions outlived
/// the previous server. The server's instance board provides it.
public protocol InstanceWatch: Sendable {
    /// The instances as they stand now.
    func sighting() async -> InstanceSighting
}

/// One look at the instances.
public struct InstanceSighting: Sendable {
    /// The last hook event from an instance.
    public struct Heard: Sendable, Equatable {
        /// When it came.
        public var at: Date
        /// Which it was.
        public var event: HookEventName?

        public init(at: Date, event: HookEventName?) {
            self.at = at
            self.event = event
        }
    }

    /// The instances have been launched (and `adopted` is known).
    public var launched: Bool
    /// Instances whose sessions outlived the previous server.
    public var adopted: Set<InstanceName>
    /// Instances that are up (not waiting for a restart, not failed, not paused); nil: all of them.
    public var running: Set<InstanceName>?
    /// The last hook event of each instance.
    public var heard: [InstanceName: Heard]

    public init(launched: Bool, adopted: Set<InstanceName>, running: Set<InstanceName>?, heard: [InstanceName: Heard]) {
        self.launched = launched
        self.adopted = adopted
        self.running = running
        self.heard = heard
    }

    /// Without a watch: every instance counts as up, none was adopted.
    public static let everyoneUp = InstanceSighting(launched: false, adopted: [], running: nil, heard: [:])

    /// Whether an instance is up.
    public func isRunning(_ instance: InstanceName) -> Bool { running?.contains(instance) ?? true }
}
