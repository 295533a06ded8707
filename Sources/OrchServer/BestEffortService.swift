import Logging
import ServiceLifecycle

/// Runs a service whose failure must not stop the others (the dashboard: a port
/// in use should not stop the orchestrator): its error is logged and it waits for shutdown.
///
/// ```swift
/// let dashboard = BestEffortService(app, name: "the dashboard", logger: logger)
/// ```
struct BestEffortService<Inner: Service>: Service {
    let inner: Inner
    let name: String
    let logger: Logger

    init(_ inner: Inner, name: String, logger: Logger) {
        self.inner = inner
        self.name = name
        self.logger = logger
    }

    func run() async throws {
        do {
            try await inner.run()
        } catch {
            logger.error("\(name) stopped: \(error); orch goes on without it")
        }
        try? await gracefulShutdown()
    }
}
