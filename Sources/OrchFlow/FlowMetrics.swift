import CoreMetrics

/// The task flow's counters, through swift-metrics (the server exposes them at `/metrics`).
public enum FlowMetrics {
    /// Tasks merged into the target.
    public static var merges: Counter { Counter(label: "orch_merges_total") }
    /// Conflicts between a worker's branch and the target.
    public static var conflicts: Counter { Counter(label: "orch_conflicts_total") }
}
