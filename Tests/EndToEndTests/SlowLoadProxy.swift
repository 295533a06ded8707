import Foundation
import TestSupport

/// A proxy in front of the dashboard, for a headless browser that captures a
/// page at its load event: it serves the dashboard's page with one image that
/// answers only after `seconds`, so the capture comes after that many seconds
/// of live updates; every other path (`/status`, the `/events` stream) is passed
/// through as it comes. The dashboard itself keeps no route for tests.
final class SlowLoadProxy {
    let process = Process()
    let port: Int

    init(dashboardPort: Int, seconds: Int) throws {
        port = try RawSocket.freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, String(port), String(dashboardPort), String(seconds)]
        try process.run()
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static let script = #"""
    import http.server, socketserver, sys, time, urllib.request
    port, upstream, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            if self.path == '/__slow.gif':
                time.sleep(seconds)
                self.send_response(404); self.end_headers(); return
            with urllib.request.urlopen('http://127.0.0.1:%d%s' % (upstream, self.path)) as answer:
                self.send_response(answer.status)
                for key in ('Content-Type', 'Cache-Control'):
                    if answer.headers.get(key): self.send_header(key, answer.headers[key])
                self.end_headers()
                if self.path == '/':
                    page = answer.read().replace(b'</body>', b'<img alt="" width="1" height="1" src="/__slow.gif"></body>')
                    self.wfile.write(page); return
                try:
                    while True:
                        chunk = answer.read1(65536)
                        if not chunk: return
                        self.wfile.write(chunk); self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
    Server(('127.0.0.1', port), Handler).serve_forever()
    """#
}
