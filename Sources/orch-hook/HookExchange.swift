#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import OrchWire

/// One POST to the orch server, HTTP/1.1 over a plain TCP socket, answered or
/// given up by a deadline. While nothing listens (a server restarting after a
/// crash) it tries to connect again every 100 ms; once connected it sends the
/// request once (a second Stop could hand a task out twice).
struct HookExchange {
    /// What came of it.
    enum Outcome {
        /// The server's status, headers (names lowercased) and body.
        case reply(status: Int, headers: [String: String], body: [UInt8])
        /// No answer by the deadline, or no server: the hook fails open.
        case unreachable(String)
    }

    let address: ServerAddress
    let token: String
    let deadline: Deadline

    static let retryPause = 0.1

    func post(path: String, body: [UInt8]) -> Outcome {
        var lastError = ""
        var connected: Int32?
        while connected == nil {
            switch SocketConnection.open(host: address.host, port: address.port, deadline: deadline) {
            case .success(let descriptor): connected = descriptor
            case .failure(let error):
                lastError = error.text
                guard deadline.remaining > Self.retryPause else { return .unreachable("cannot connect to \(address.url): \(lastError)") }
                deadline.pause(Self.retryPause)
            }
        }
        guard let descriptor = connected else { return .unreachable("cannot connect to \(address.url): \(lastError)") }
        defer { close(descriptor) }
        // A server may answer before it has read the body (401 on a bad token) and close: its reply still counts, so read on.
        _ = SocketConnection.sendAll(request(path: path, body: body), on: descriptor, deadline: deadline)
        guard let response = SocketConnection.receiveAll(on: descriptor, deadline: deadline) else {
            return .unreachable("no reply from \(address.url) within \(HookWire.budgetSeconds) s")
        }
        guard let parsed = WireResponse(response) else { return .unreachable("the server closed the connection without a full reply") }
        return .reply(status: parsed.status, headers: parsed.headers, body: parsed.body)
    }

    private func request(path: String, body: [UInt8]) -> [UInt8] {
        let head = "POST \(path) HTTP/1.1\r\nHost: \(address.hostHeader)\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}

/// The server's `http://host:port`, parsed as orch parses it.
struct ServerAddress {
    let host: String
    let port: Int

    init?(url: String) {
        guard let (host, port) = HookWire.parse(url: url) else { return nil }
        self.host = host
        self.port = port
    }

    var url: String { "http://" + hostHeader }
    var hostHeader: String { HookWire.authority(host: host, port: port) }
}
