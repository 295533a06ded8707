import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One live summary line kept at the top of the terminal, above the log that
/// scrolls beneath it (a scroll region from the second line down).
///
/// ```swift
/// if let line = ProgressLine.onTerminal() {
///     line.start()
///     line.update("tasks merged 3/9 · workers busy 2, idle 1 · rate-limited 0")
///     line.finish()
/// }
/// ```
public final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let descriptor: Int32
    private var active = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// A progress line on standard error when it is a terminal; nil in a pipe or CI.
    public static func onTerminal() -> ProgressLine? {
        isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? ProgressLine(descriptor: STDERR_FILENO) : nil
    }

    /// Reserves the first line: the log scrolls from the second line down.
    public func start() {
        lock.withLock {
            let rows = size().rows
            guard rows > 2 else { return }
            active = true
            write("\n\u{1B}[2;\(rows)r\u{1B}[\(rows);1H")
        }
    }

    /// Redraws the line.
    /// - Parameters:
    ///   - text: the summary.
    public func update(_ text: String) {
        lock.withLock {
            guard active else { return }
            let columns = max(size().columns, 20)
            write("\u{1B}7\u{1B}[1;1H\u{1B}[2K\u{1B}[7m\(String(text.prefix(columns - 1)))\u{1B}[0m\u{1B}8")
        }
    }

    /// Gives the whole terminal back to scrolling.
    public func finish() {
        lock.withLock {
            guard active else { return }
            active = false
            write("\u{1B}7\u{1B}[1;1H\u{1B}[2K\u{1B}8\u{1B}[r")
        }
    }

    /// The summary of a status report.
    /// - Parameters:
    ///   - report: the report.
    public static func summary(of report: StatusReport) -> String {
        let workers = report.instances.filter { $0.role == "worker" }
        let busy = workers.filter { $0.state == "working" }.count
        let idle = workers.filter { $0.state == "idle" }.count
        let limited = report.instances.filter { $0.state.hasPrefix("rate-limited") }.count
        let merged = report.tasks.filter { $0.state == "merged" }.count
        let failed = report.tasks.filter { $0.state == "failed" }.count
        return "orch · tasks merged \(merged)/\(report.tasks.count)\(failed > 0 ? " (\(failed) failed)" : "") · workers busy \(busy), idle \(idle) · rate-limited \(limited)"
    }

    private func size() -> (rows: Int, columns: Int) {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0 else { return (0, 0) }
        return (Int(size.ws_row), Int(size.ws_col))
    }

    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        #if canImport(Glibc)
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        #else
        _ = bytes.withUnsafeBytes { Darwin.write(descriptor, $0.baseAddress, $0.count) }
        #endif
    }
}
