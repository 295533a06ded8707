import Logging
import ServiceLifecycle

/// Keeps `orch serve`'s summary current: on a terminal in its ``ProgressLine``,
/// elsewhere as a plain log line each time the summary changes.
///
/// ```swift
/// let reporter = ProgressReporter(report: { await currentReport() }, line: ProgressLine.onTerminal(), logger: logger)
/// ```
struct ProgressReporter: Service {
    let report: @Sendable () async -> StatusReport?
    let line: ProgressLine?
    let logger: Logger

    func run() async throws {
        line?.start()
        defer { line?.finish() }
        await cancelWhenGracefulShutdown {
            var last = ""
            while !Task.isCancelled {
                if let report = await report() {
                    let summary = ProgressLine.summary(of: report)
                    if let line {
                        line.update(summary)
                    } else if summary != last {
                        logger.info("\(summary)")
                    }
                    last = summary
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
