#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hook's JSON on stdin.
enum StandardInput {
    /// Up to `limit` bytes; nil (with a line on stderr) when there is nothing, or more than that.
    /// A closed or unreadable stdin reads as nothing, never a crash: a hook must fail open.
    static func read(limit: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { Self.readChunk(into: $0) }
            if count > 0 {
                bytes += chunk[..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        guard !bytes.isEmpty else {
            Output.warn("no hook JSON on stdin; nothing forwarded")
            return nil
        }
        guard bytes.count <= limit else {
            Output.warn("the hook's JSON is over \(limit) bytes; nothing forwarded")
            return nil
        }
        return bytes
    }

    private static func readChunk(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        #if canImport(Glibc)
        Glibc.read(0, buffer.baseAddress, buffer.count)
        #else
        Darwin.read(0, buffer.baseAddress, buffer.count)
        #endif
    }
}
