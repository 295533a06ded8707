import CoreMetrics
import Foundation
import OrchCore
import OrchFlow

import Prometheus

/// orch's metrics through swift-metrics, exposed in Prometheus text format by
/// swift-prometheus at the dashboard's `/metrics`:
///
/// - `orch_instances{state}`, `orch_tasks{state}`: gauges, refreshed from the status every second;
/// - `orch_hook_handling_seconds{event}`: histogram of the server's handling time per hook event;
/// - `orch_restarts_total`, `orch_rate_limits_total`, `orch_rotations_total`,
///   `orch_merges_total` (tasks merged into the target), `orch_conflicts_total` (``FlowMetrics``): counters;
/// - `orch_pushes_total{result}`, `orch_fetches_total{result}`: the user's remote (ok, rejected, error);
/// - `orch_merge_checks_total{result}` (passed, failed, timeout, cached), `orch_merge_check_seconds`: the merge gate.
///
/// ```swift
/// OrchMetrics.bootstrap()
/// OrchMetrics.restarts.increment()
/// let text = OrchMetrics.exposition()
/// ```
public enum OrchMetrics {
    /// The registry the factory writes into.
    public static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["orch_hook_handling_seconds"] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1),
        ]
        factory.durationHistogramBuckets["orch_merge_check_seconds"] = [
            .seconds(1), .seconds(5), .seconds(15), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600), .seconds(1800),
        ]
        MetricsSystem.bootstrap(factory)
        // Counters appear at 0 rather than only once something happened.
        for counter in [restarts, rateLimits, rotations, FlowMetrics.merges, FlowMetrics.conflicts] { counter.increment(by: 0) }
        for result in ["ok", "rejected", "error"] { pushes(result: result).increment(by: 0) }
        for result in ["ok", "error"] { fetches(result: result).increment(by: 0) }
        for result in ["passed", "failed", "timeout", "cached"] { mergeChecks(result: result).increment(by: 0) }
    }()

    /// Installs the Prometheus factory as the process's metrics system (once; later calls do nothing).
    public static func bootstrap() { _ = bootstrapped }

    /// Instance restarts.
    public static var restarts: CoreMetrics.Counter { CoreMetrics.Counter(label: "orch_restarts_total") }
    /// Rate-limit events (one per limited credential file).
    public static var rateLimits: CoreMetrics.Counter { CoreMetrics.Counter(label: "orch_rate_limits_total") }
    /// Moves of an instance to another credential file.
    public static var rotations: CoreMetrics.Counter { CoreMetrics.Counter(label: "orch_rotations_total") }

    /// Pushes to the user's remote by result: ok, rejected (the remote moved), error (unreachable, credentials).
    public static func pushes(result: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "orch_pushes_total", dimensions: [("result", result)])
    }
    /// Fetches from the user's remote by result: ok, error.
    public static func fetches(result: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "orch_fetches_total", dimensions: [("result", result)])
    }
    /// Merge checks by result: passed, failed, timeout, or cached (a tree checked before, not run again).
    public static func mergeChecks(result: String) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: "orch_merge_checks_total", dimensions: [("result", result)])
    }
    /// How long merge checks that ran took.
    public static var mergeCheckSeconds: CoreMetrics.Timer { CoreMetrics.Timer(label: "orch_merge_check_seconds") }

    /// The failure counter of a sync stage: a fetch's, else a push's.
    static func counter(for stage: String) -> CoreMetrics.Counter {
        stage == "fetch" ? fetches(result: "error") : pushes(result: "error")
    }

    /// Records how long handling a hook event took.
    /// - Parameters:
    ///   - event: the event's name.
    ///   - nanoseconds: the time.
    /// `orch_tokens_total{instance,kind}` (kind `input`, `output`, `cache_read`, `cache_creation`) and `orch_cost_usd_total{instance}`.
    static func recordUsage(_ increase: InstanceUsage, of instance: InstanceName) {
        let counts = [("input", increase.inputTokens), ("output", increase.outputTokens), ("cache_read", increase.cacheReadTokens),
                      ("cache_creation", increase.cacheCreationTokens)]
        for (kind, count) in counts where count > 0 {
            CoreMetrics.Counter(label: "orch_tokens_total", dimensions: [("instance", "\(instance)"), ("kind", kind)]).increment(by: Int64(count))
        }
        if increase.costUSD > 0 {
            CoreMetrics.FloatingPointCounter(label: "orch_cost_usd_total", dimensions: [("instance", "\(instance)")]).increment(by: increase.costUSD)
        }
    }

    public static func recordHandling(event: String, nanoseconds: Int64) {
        CoreMetrics.Timer(label: "orch_hook_handling_seconds", dimensions: [("event", event)]).recordNanoseconds(nanoseconds)
    }

    /// Sets the instance and task gauges from a status report.
    /// - Parameters:
    ///   - report: the report.
    public static func update(from report: StatusReport) {
        let instanceStates = ["starting", "working", "idle", "restarting", "failed", "rate-limited"]
        for state in instanceStates {
            let count = report.instances.filter { $0.state.hasPrefix(state) }.count
            CoreMetrics.Gauge(label: "orch_instances", dimensions: [("state", state)]).record(count)
        }
        for state in ["queued", "delivered", "done", "merged", "failed"] {
            CoreMetrics.Gauge(label: "orch_tasks", dimensions: [("state", state)]).record(report.tasks.filter { $0.state == state }.count)
        }
    }

    /// The Prometheus text exposition of every metric.
    public static func exposition() -> String {
        registry.emitToString()
    }
}
