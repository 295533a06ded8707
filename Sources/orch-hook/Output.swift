#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The forwarder's only ways out: the reply on stdout, a line on stderr.
enum Output {
    /// Writes all of `bytes` to a descriptor (a pipe may take them in parts); false when it could not.
    @discardableResult
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// The reply Claude Code reads.
    static func reply(_ bytes: [UInt8]) { writeAll(bytes, to: 1) }

    /// A line on stderr, worded as `orch hook` words it.
    static func warn(_ text: String) { writeAll(Array("orch hook: \(text)\n".utf8), to: 2) }

    /// The value of an environment variable; nil when unset or empty.
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
