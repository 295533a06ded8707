import Foundation
import Testing
@testable import OrchServer
#if canImport(Glibc)
import Glibc
#endif

/// The summary line on a real pseudo-terminal: the first line is kept for it, the log scrolls below.
@Suite struct ProgressLineTests {
    @Test func itReservesTheTopLineRedrawsItAndGivesTheTerminalBack() throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        var size = winsize(ws_row: 30, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0)
        #expect(openpty(&master, &slave, nil, nil, &size) == 0)
        defer {
            close(master)
            close(slave)
        }
        let line = ProgressLine(descriptor: slave)
        line.start()
        line.update("orch · tasks merged 3/9 · workers busy 2, idle 1 · rate-limited 0")
        line.finish()
        line.update("not drawn after finish")
        // A pty hands the writes over in pieces: read until nothing more comes for 200 ms.
        var received: [UInt8] = []
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, 200) > 0 {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = read(master, &chunk, chunk.count)
            guard count > 0 else { break }
            received += chunk.prefix(count)
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.contains("\u{1B}[2;30r"), "scroll region from the second line: \(text.debugDescription)")
        #expect(text.contains("\u{1B}[1;1H\u{1B}[2K\u{1B}[7morch · tasks merged 3/9"))
        #expect(text.hasSuffix("\u{1B}[r"), "the whole terminal scrolls again")
        #expect(!text.contains("not drawn"))
    }

    @Test func theSummaryCountsTasksAndWorkers() {
        let report = StatusReport(server: "running", target: "main", instances: [
            .init(name: "manager", role: "manager", state: "idle", branch: "orch/manager", restarts: 0),
            .init(name: "worker-1", role: "worker", state: "working", branch: "orch/worker-1", restarts: 0),
            .init(name: "worker-2", role: "worker", state: "rate-limited until 2026-11-25T10:00:00Z", branch: "orch/worker-2", restarts: 0),
        ], tasks: [
            .init(id: "T-0001", worker: 1, text: "a", state: "merged"),
            .init(id: "T-0002", worker: 2, text: "b", state: "delivered"),
        ], credentials: [])
        #expect(ProgressLine.summary(of: report) == "orch · tasks merged 1/2 · workers busy 1, idle 0 · rate-limited 1")
    }
}
