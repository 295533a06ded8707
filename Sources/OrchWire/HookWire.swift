/// The facts of the hook channel that `orch` and the lean `orch-hook`
/// forwarder share. This module imports nothing, not even Foundation: the
/// forwarder links only it and the C library, so it starts in about a
/// millisecond where `orch` (Foundation, NIO, libgit2) takes ten.
public enum HookWire {
    /// How long Claude Code lets each of orch's command hooks run.
    public static let timeoutSeconds = 30
    /// How long a forwarder waits for the server, retrying while it restarts:
    /// just under the hook's timeout, so the client never kills it half-way through a reply.
    public static let budgetSeconds = timeoutSeconds - 2
    /// The largest hook body the server takes (and a forwarder sends).
    public static let maximumBody = 1 << 20
    /// The path an event is posted to: `/hook/<Event>`.
    public static func path(event: String) -> String { "/hook/" + event }
    /// The reply header naming, after a Stop, UserPromptSubmit or SessionStart, the server's
    /// tips of what an instance's clone mirrors: its branch, the target, and the user's target
    /// as the server last fetched it (`-` when there is none yet), space-separated. Equal to
    /// what the clone holds of them, there is nothing to fetch and the forwarder runs no git.
    public static let mirrorHeader = "Orch-Mirror"

    /// The request header Claude Code's own HTTP hooks carry (`"hooks": "http"`), so the event log can say how an event came.
    public static let transportHeader = "Orch-Hook"

    /// The header's value for these tips.
    public static func mirror(branch: String?, target: String?, upstream: String?) -> String {
        [branch, target, upstream].map { $0 ?? "-" }.joined(separator: " ")
    }
    /// Where the full `orch` lives beside the forwarder (the image's `/usr/local/bin`).
    public static let orchName = "orch"

    /// `host:port` as a URL or a `Host` header writes it (an IPv6 address in brackets).
    public static func authority(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses `http://host:port` with an optional trailing `/` (IPv6 in brackets); nil for anything else.
    public static func parse(url: String) -> (host: String, port: Int)? {
        guard url.hasPrefix("http://") else { return nil }
        var rest = Substring(url.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_".contains($0) }),
              let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// Whether `text` is a full object id (SHA-1 or SHA-256, lowercase hex).
    public static func isObjectID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The object id `packed-refs` gives `ref`: its `<id> <ref>` line (comment and peeled `^` lines are never a match).
    public static func packedRef(_ ref: String, in packed: String) -> String? {
        for line in packed.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2, fields[1] == ref, isObjectID(String(fields[0])) { return String(fields[0]) }
        }
        return nil
    }
}
