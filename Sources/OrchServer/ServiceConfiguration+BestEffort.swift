import Logging
import ServiceLifecycle

/// Ends when `wait` returns (a signal): registered with
/// `successTerminationBehavior: .gracefullyShutdownGroup`, it shuts the group down.
/// If the group ends first (a service failed), it stops waiting.
struct ShutdownTrigger: Service {
    let wait: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown { await wait() }
    }
}

/// Says why a best-effort service stopped; the group ignores its end (see ``ServiceGroupConfiguration/ServiceConfiguration/bestEffort(_:name:logger:)``).
struct LoggingFailure<Inner: Service>: Service {
    let inner: Inner
    let name: String
    let logger: Logger

    func run() async throws {
        do {
            try await inner.run()
        } catch {
            logger.error("\(name) stopped: \(error); orch goes on without it")
            throw error
        }
    }
}

extension ServiceGroupConfiguration.ServiceConfiguration {
    /// A service whose end or failure must not stop the others (the dashboard: a port in use
    /// should not stop the orchestrator); its failure is logged.
    static func bestEffort(_ service: some Service, name: String, logger: Logger) -> Self {
        .init(service: LoggingFailure(inner: service, name: name, logger: logger), successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore)
    }
}
