import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let streamType = Int32(SOCK_STREAM.rawValue)
#else
private let streamType = SOCK_STREAM
#endif

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

private func connectLoopback(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, streamType, 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    var address = loopback(port: port)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
    }
    return fd
}

/// Raw bytes over TCP on loopback, below HTTP: for throwing garbage at a server.
public enum RawSocket {
    /// Connects, writes `bytes`, reads whatever comes back for up to a second, closes.
    /// - Parameters:
    ///   - bytes: anything.
    ///   - port: the loopback port.
    /// - Throws: when it cannot connect.
    public static func send(_ bytes: [UInt8], toPort port: Int) throws {
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        shutdown(fd, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    /// Connects, writes `bytes` and keeps the connection open without sending
    /// more: how long until the server closes it, or nil when it did not within `patience`.
    /// - Parameters:
    ///   - bytes: the start of a request, or nothing.
    ///   - port: the loopback port.
    ///   - trickle: one more byte every this many seconds (a slow client that is never quite idle); nil sends none.
    ///   - patience: how long to wait.
    /// - Throws: when it cannot connect.
    public static func secondsUntilClosed(after bytes: [UInt8], toPort port: Int, trickle: Double? = nil, patience: Double) throws -> Double? {
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        let started = Date()
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let step = trickle ?? 0.2
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(started) < patience {
            var timeout = timeval(tv_sec: Int(step), tv_usec: .init((step - Double(Int(step))) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let count = read(fd, &buffer, buffer.count)
            if count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { return Date().timeIntervalSince(started) }
            if trickle != nil {
                var byte: UInt8 = 0x78
                guard write(fd, &byte, 1) == 1 else { return Date().timeIntervalSince(started) }
            }
        }
        return nil
    }

    /// Connects, writes `bytes`, and returns what comes back until the server closes (or 2 s pass).
    public static func exchange(_ bytes: [UInt8], toPort port: Int) throws -> String {
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            reply += buffer[0..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// A loopback port nothing listens on right now.
    public static func freePort() throws -> Int {
        let listening = try ListeningSocket()
        defer { listening.close() }
        return listening.port
    }
}

/// A TCP socket on loopback that listens but never accepts: a server that has stalled.
public final class ListeningSocket: Sendable {
    /// The port it listens on.
    public let port: Int
    private let fd: Int32

    /// Binds a free loopback port.
    /// - Throws: when it cannot bind.
    public init() throws {
        let fd = socket(AF_INET, streamType, 0)
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        self.fd = fd
    }

    /// The URL of this socket, for a client that should find it stalled.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Stops listening.
    public func close() {
        #if canImport(Glibc)
        Glibc.close(fd)
        #else
        Darwin.close(fd)
        #endif
    }
}

/// Runs blocking socket work on a thread of its own: a blocking read on
/// Swift's cooperative pool (two threads here) would starve the servers under test.
/// - Parameters:
///   - body: the blocking work.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
