import OrchWire

/// What `orch-hook EVENT` does: the event's round trip without git or
/// Foundation when the instance's clone and the server agree on its branch,
/// else the full `orch hook`, which moves commits both ways:
///
/// - a Stop with commits the server has not seen (the local branch is not
///   where the clone last saw the server's) goes to `orch hook Stop` before
///   anything is read: it hands the branch back, then posts the event;
/// - otherwise the hook's JSON (stdin, at most 1 MiB) is posted to
///   `$ORCH_URL/hook/<EVENT>` with `$ORCH_TOKEN`, retrying for 28 s while
///   nothing listens, and the reply printed;
/// - after a blocked Stop, a UserPromptSubmit or a SessionStart, when what
///   the server holds of the clone's branch, the target and the user's target
///   (the reply's `Orch-Mirror`) is not what the clone holds, `orch hook
///   --reply-on-stdin EVENT` fetches, takes the branch and prints the reply.
///
/// Like `orch hook` it always exits 0 and never blocks a turn by failing.
struct HookForwarder {
    let event: String

    /// What a take may need: a fetch and a fast-forward, within git's own stall limit of 10 s.
    static let takeSeconds = 12.0

    func run() {
        guard let url = Output.environment("ORCH_URL"), let address = ServerAddress(url: url), let token = Output.environment("ORCH_TOKEN") else {
            Output.warn("ORCH_URL (http://HOST:PORT) or ORCH_TOKEN is not set; nothing forwarded")
            return
        }
        let deadline = Deadline(seconds: Double(HookWire.budgetSeconds))
        let name = HookEventName(rawValue: event)
        let clone = CloneRefs()
        if name == .stop, let clone, !clone.inStepWithServer {
            FullOrch.exec(["hook", event])
        }
        guard let body = StandardInput.read(limit: HookWire.maximumBody) else { return }
        let exchange = HookExchange(address: address, token: token, deadline: deadline)
        switch exchange.post(path: HookWire.path(event: Self.percentEncoded(event)), body: body) {
        case .reply(200, let headers, let reply):
            // Taking the branch is git's work over the network: only with the time for it left before the
            // client kills the hook (the reply would be lost); the next event takes it otherwise.
            if let clone, let name, name.mayHaveMovedBranch(replied: !reply.isEmpty), deadline.remaining > Self.takeSeconds,
               headers[HookWire.mirrorHeader.lowercased()] != clone.mirror || !clone.inStepWithServer {
                FullOrch.exec(["hook", "--reply-on-stdin", event], input: reply)
            }
            Output.reply(reply)
        case .reply(let status, _, let reply):
            Output.warn("the server answered \(status): \(String(decoding: reply.prefix(300), as: UTF8.self))")
        case .unreachable(let why):
            Output.warn(why)
        }
    }

    /// Every byte but ASCII letters and digits as `%XX`, as `orch hook` sends the event's name.
    static func percentEncoded(_ text: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in text.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
