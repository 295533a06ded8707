#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Non-blocking TCP with every wait bounded by the forwarder's deadline.
enum SocketConnection {
    struct Failure: Error {
        let text: String
    }

    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let streamType = SOCK_STREAM
    #endif

    /// A connected socket to the first of the host's addresses that answers.
    static func open(host: String, port: Int, deadline: Deadline) -> Result<Int32, Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            return .failure(Failure(text: "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))"))
        }
        defer { freeaddrinfo(first) }
        var failure = Failure(text: "no address for \(host)")
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            switch connectOne(entry.pointee, deadline: deadline) {
            case .success(let descriptor): return .success(descriptor)
            case .failure(let error): failure = error
            }
            next = entry.pointee.ai_next
        }
        return .failure(failure)
    }

    private static func connectOne(_ entry: addrinfo, deadline: Deadline) -> Result<Int32, Failure> {
        let descriptor = socket(entry.ai_family, entry.ai_socktype, entry.ai_protocol)
        guard descriptor >= 0 else { return .failure(Failure(text: errorText())) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        if connect(descriptor, entry.ai_addr, entry.ai_addrlen) != 0 {
            guard errno == EINPROGRESS, wait(for: Int16(POLLOUT), on: descriptor, deadline: deadline) else {
                let text = errno == EINPROGRESS ? "timed out" : errorText()
                close(descriptor)
                return .failure(Failure(text: text))
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                close(descriptor)
                return .failure(Failure(text: String(cString: strerror(error))))
            }
        }
        return .success(descriptor)
    }

    /// Sends all of `bytes`; false when the peer closed or the deadline passed first.
    static func sendAll(_ bytes: [UInt8], on descriptor: Int32, deadline: Deadline) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, sendFlags) }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && (errno == EAGAIN || errno == EINTR) {
                guard wait(for: Int16(POLLOUT), on: descriptor, deadline: deadline) else { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// Everything the peer sends until it closes; nil when the deadline comes first.
    static func receiveAll(on descriptor: Int32, deadline: Deadline) -> [UInt8]? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += chunk[..<count]
                // The server's replies are small; a peer that streams without end is not orch.
                if received.count > 16 << 20 { return nil }
            } else if count == 0 {
                return received
            } else if errno == EAGAIN || errno == EINTR {
                guard wait(for: Int16(POLLIN), on: descriptor, deadline: deadline) else { return nil }
            } else {
                // A reset after the reply arrived (the peer closed with our body unread) still leaves the reply.
                return received.isEmpty ? nil : received
            }
        }
    }

    /// Waits until the socket is ready for `events` or the deadline passes.
    private static func wait(for events: Int16, on descriptor: Int32, deadline: Deadline) -> Bool {
        while true {
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, deadline.remainingMilliseconds)
            if ready > 0 { return true }
            if ready == 0 || errno != EINTR { return false }
        }
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }

    #if canImport(Glibc)
    private static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    private static let sendFlags: Int32 = 0
    #endif
}
