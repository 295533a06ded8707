import Foundation
import Testing
import TestSupport

/// The dashboard during a run, in headless Chromium, and `/metrics`.
@Suite(.serialized) struct DashboardTests {
    @Test func theDashboardShowsInstancesAndTasksUpdatedLiveAndMetricsAreServedOnLoopbackOnly() async throws {
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "install Debian's chromium (scripts/test does)")
        let port = try RawSocket.freePort()
        let run = try await TaskFlowTests.Run(taskSeconds: 3, dashboardPort: port)
        let serve = try run.startServe()
        try await withCleanup {
            let busy = try await ServeTests.waitUntil(120) { (run.ledger()?.tasks.count ?? 0) == run.taskCount }
            #expect(busy)
            // The page is captured at its load event: the proxy holds that 4 s, so live updates come first.
            let proxy = try SlowLoadProxy(dashboardPort: port, seconds: 4)
            defer { proxy.stop() }
            try await Task.sleep(for: .milliseconds(500))
            let url = "http://127.0.0.1:\(proxy.port)/"
            let flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                         "--user-data-dir=\(run.dir("chromium"))"]
            let dom = try await runDetached(chromium, flags + ["--dump-dom", url])
            #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
            let page = dom.stdout
            for instance in TaskFlowTests.instances {
                #expect(page.contains("data-instance=\"\(instance)\""), "row of \(instance)")
            }
            for state in ["queued", "delivered", "done", "merged", "failed"] {
                #expect(page.contains("data-state=\"\(state)\""))
            }
            #expect(page.contains("class=\"card\" data-task=\"T-0001\""), "task cards")
            #expect(page.contains("<th>tokens in/out</th>") && page.range(of: #"<td class="cost">\$[0-9]+\.[0-9]{2}</td>"#, options: .regularExpression) != nil,
                    "each instance's tokens and cost")
            let updates = page.range(of: #"<span id="updates">(\d+)</span>"#, options: .regularExpression)
                .map { Int(page[$0].filter(\.isNumber)) ?? 0 } ?? 0
            #expect(updates >= 2, "live updates seen by the page: \(updates)")
            #expect(page.contains("server running"))
            #expect(page.contains("<div id=\"remote\">remote file://\(run.dir("origin"))") && page.contains("last push 20"), "the target's sync state with the remote")

            let shot = try await runDetached(chromium, flags + ["--screenshot=\(run.dir("dashboard.png"))", url])
            #expect(shot.status == 0, "\(shot.stderr.suffix(2000))")
            let png = try Data(contentsOf: URL(fileURLWithPath: run.dir("dashboard.png")))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "a screenshot of \(png.count) bytes")
            if let keep = ProcessInfo.processInfo.environment["ORCH_DASHBOARD_SHOT"] { try png.write(to: URL(fileURLWithPath: keep)) }

            let metrics = try await runDetached("curl", ["-sf", "http://127.0.0.1:\(port)/metrics"])
            for name in ["orch_instances{state=\"working\"}", "orch_tasks{state=\"merged\"}", "orch_hook_handling_seconds_bucket",
                         "orch_restarts_total", "orch_rate_limits_total", "orch_rotations_total", "orch_merges_total", "orch_conflicts_total",
                         "orch_pushes_total{result=\"ok\"}", "orch_fetches_total{result=\"ok\"}",
                         "orch_tokens_total{instance=\"worker-1\",kind=\"output\"}", "orch_cost_usd_total{instance=\"worker-1\"}"] {
                #expect(metrics.stdout.contains(name), "\(name) in /metrics")
            }
            let listening = try await runDetached("ss", ["-ltnH", "sport = :\(port)"])
            #expect(listening.stdout.contains("127.0.0.1:\(port)") && !listening.stdout.contains("0.0.0.0:\(port)") && !listening.stdout.contains("*:\(port)"),
                    "\(listening.stdout)")
            try await run.stop(serve)
        } cleanup: {
            await run.cleanUp(serve)
        }
    }
}
