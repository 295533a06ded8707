import Foundation
import Hummingbird
import Logging
import NIOCore

/// The web dashboard and `/metrics` on `127.0.0.1:<dashboardPort>` (loopback
/// only): a page with no external assets showing every instance and a task
/// board, kept live by server-sent events from `/events` (the status JSON,
/// whenever it changes and at least every 5 s).
///
/// ```swift
/// let dashboard = Dashboard(port: 7420, status: { … status JSON … }, logger: logger)
/// let app = dashboard.application()   // a Service: run it in the ServiceGroup
/// ```
public struct Dashboard: Sendable {
    /// The loopback port.
    public let port: Int
    let status: @Sendable () async -> Data
    let limits: HTTPLimits
    let logger: Logger

    /// - Parameters:
    ///   - port: the loopback port (0 picks a free one).
    ///   - status: the status JSON (``StatusReport``).
    ///   - limits: connections and timeouts (the page holds one event stream open; the limits drop everything else that lingers).
    ///   - logger: where the HTTP server logs.
    public init(port: Int, status: @escaping @Sendable () async -> Data, limits: HTTPLimits = HTTPLimits(maximumConnections: 64), logger: Logger) {
        self.port = port
        self.status = status
        self.limits = limits
        self.logger = logger
    }

    /// The HTTP application.
    /// - Parameters:
    ///   - onRunning: told the bound port once it listens.
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: LoopbackHostMiddleware())
        let status = self.status
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Self.page)))
        }
        router.get("/status") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: await status())))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: OrchMetrics.exposition())))
        }
        router.get("/events") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: ResponseBody { writer in
                var last = Data()
                var quiet = 0
                while !Task.isCancelled {
                    let current = await status()
                    if current != last || quiet >= 5 {
                        try await writer.write(ByteBuffer(string: "data: \(String(decoding: current, as: UTF8.self))\n\n"))
                        last = current
                        quiet = 0
                    } else {
                        quiet += 1
                    }
                    try await Task.sleep(for: .seconds(1))
                }
                try await writer.finish(nil)
            })
        }
        return Application(
            router: router,
            server: limits.server(),
            configuration: limits.configuration(address: .hostname("127.0.0.1", port: port), name: "orch-dashboard", logger: logger),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// The page: plain HTML, CSS and script, nothing fetched from elsewhere.
    static let page = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>orch</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>
    body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
    h1 { font-size: 1.3em; margin: 0 0 .3em; } h2 { font-size: 1.05em; margin: 1.4em 0 .5em; }
    #server { font-size: .9em; color: #555; } #server.down { color: #b00; }
    table { border-collapse: collapse; background: #fff; } th, td { padding: .3em .7em; border-bottom: 1px solid #ddd; text-align: left; }
    th { font-weight: 600; background: #f0f0f0; }
    .state-working { color: #06c; } .state-idle { color: #777; } .state-failed, .state-restarting { color: #b00; } .state-rate-limited { color: #b60; }
    #board { display: flex; gap: .8em; align-items: flex-start; }
    .column { flex: 1; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5em; min-height: 4em; }
    .column h3 { font-size: .95em; margin: 0 0 .4em; } .card { border: 1px solid #e3e3e3; border-radius: 4px; padding: .3em .4em; margin: .3em 0; font-size: .9em; }
    .card b { font-family: ui-monospace, monospace; font-weight: 600; }
    </style></head>
    <body>
    <h1>orch</h1>
    <div id="server">connecting… <span id="updates">0</span> updates</div>
    <div id="remote"></div>
    <div id="queue"></div>
    <h2>Instances</h2>
    <table id="instances"><thead><tr><th>instance</th><th>role</th><th>state</th><th>task</th><th>ahead/behind</th><th>credential</th><th>tokens in/out</th><th>cost</th><th>5h/7d used</th><th>restarts</th><th>last hook</th></tr></thead><tbody></tbody></table>
    <h2>Tasks</h2>
    <div id="board">
      <div class="column" data-state="queued"><h3>queued</h3></div>
      <div class="column" data-state="delivered"><h3>in progress</h3></div>
      <div class="column" data-state="done"><h3>done</h3></div>
      <div class="column" data-state="merged"><h3>merged</h3></div>
      <div class="column" data-state="failed"><h3>failed</h3></div>
    </div>
    <script>
    let updates = 0;
    function cell(row, text) { const td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }
    function render(report) {
      updates += 1;
      const server = document.getElementById('server');
      server.className = report.server === 'running' ? '' : 'down';
      server.firstChild.textContent = 'server ' + report.server + ', target ' + report.target + ' · ';
      document.getElementById('updates').textContent = updates;
      const r = report.remote;
      document.getElementById('remote').textContent = !r ? '' : 'remote ' + r.url + ' · '
        + (r.ahead == null ? '' : (r.ahead === 0 && r.behind === 0 ? 'in step' : 'ahead ' + r.ahead + ', behind ' + r.behind) + ' · ')
        + 'last push ' + (r.lastPush || 'none yet')
        + (r.conflict ? ' · upstream conflict in ' + r.conflict.join(', ') : '')
        + (r.lastError ? ' · last error: ' + r.lastError : '');
      const q = report.mergeQueue, queue = document.getElementById('queue');
      queue.replaceChildren();
      if (q) {
        queue.append('merge queue (' + q.command + '): '
          + (q.checking ? 'checking ' + q.checking.branches.join(' + ') + ' for ' + Math.round(q.checking.seconds) + ' s' : 'idle')
          + (q.queued.length ? ' · waiting: ' + q.queued.map(w => w.branch + ' (' + Math.round(w.seconds) + ' s)').join(', ') : ''));
        for (const f of q.failures) {
          const line = document.createElement('div'); line.className = 'failure'; line.dataset.branch = f.branch;
          line.textContent = 'last failure: ' + f.branch + ' at ' + f.tip + ', ' + f.at + ': ' + f.summary + (f.fixed ? ' (worked on since)' : ' (with its worker)');
          queue.appendChild(line);
        }
      }
      const body = document.querySelector('#instances tbody');
      body.replaceChildren();
      for (const i of report.instances) {
        const row = document.createElement('tr'); row.dataset.instance = i.name;
        cell(row, i.name); cell(row, i.role);
        cell(row, i.state).className = 'state-' + i.state.split(' ')[0];
        cell(row, i.task || '–');
        cell(row, i.ahead == null ? '–' : i.ahead + '/' + i.behind);
        cell(row, i.credential || '–');
        const u = i.usage;
        cell(row, u ? u.inputTokens + '/' + u.outputTokens : '–');
        cell(row, u ? '$' + u.costUSD.toFixed(2) : '–').className = 'cost';
        cell(row, u && (u.fiveHourPercent != null || u.sevenDayPercent != null)
          ? (u.fiveHourPercent == null ? '–' : Math.round(u.fiveHourPercent) + '%') + '/' + (u.sevenDayPercent == null ? '–' : Math.round(u.sevenDayPercent) + '%') : '–');
        cell(row, String(i.restarts));
        cell(row, i.lastHookSecondsAgo == null ? '–' : Math.round(i.lastHookSecondsAgo) + ' s ago');
        body.appendChild(row);
      }
      for (const column of document.querySelectorAll('#board .column')) {
        for (const card of column.querySelectorAll('.card')) card.remove();
        for (const t of report.tasks.filter(t => t.state === column.dataset.state)) {
          const card = document.createElement('div'); card.className = 'card'; card.dataset.task = t.id;
          const id = document.createElement('b'); id.textContent = t.id;
          card.append(id, ' worker-' + t.worker + ' · ' + t.text);
          column.appendChild(card);
        }
      }
    }
    const source = new EventSource('/events');
    source.onmessage = (message) => render(JSON.parse(message.data));
    source.onerror = () => { document.getElementById('server').className = 'down'; };
    </script>
    </body></html>
    """#
}
