/// A whole HTTP/1.1 response as `orch-hook` reads it up to the close: status,
/// headers, body (by `Content-Length`, chunked, or to the end). Whatever the
/// peer sent, it parses or is nil; it never traps.
public struct WireResponse: Sendable, Equatable {
    public let status: Int
    /// By lowercased name.
    public let headers: [String: String]
    public let body: [UInt8]

    public init?(_ bytes: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = Self.index(of: separator, in: bytes) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingSpaces()
        }
        var body = Array(bytes[(end + separator.count)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            guard let decoded = Self.dechunk(body) else { return nil }
            body = decoded
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard length >= 0, body.count >= length else { return nil }
            body = Array(body[..<length])
        }
        self.status = status
        self.headers = headers
        self.body = body
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var position = 0
        while let lineEnd = index(of: [13, 10], in: bytes, from: position) {
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingSpaces(), radix: 16), size >= 0 else { return nil }
            if size == 0 { return body }
            let start = lineEnd + 2
            guard size <= bytes.count - start else { return nil }
            body += bytes[start..<(start + size)]
            position = start + size + 2
        }
        return nil
    }

    private static func index(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        for index in start...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
