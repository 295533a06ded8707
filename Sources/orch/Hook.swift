import ArgumentParser
import Foundation
import OrchCore
import OrchServer

struct Hook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward a Claude Code hook event to the orch server (used by hooks/).",
        discussion: """
            Reads the hook's JSON on stdin (at most 1 MiB), posts it to $ORCH_URL with $ORCH_TOKEN and prints the reply. \
            Always exits 0: with no answer within \(Int(Self.budgetSeconds)) s (the hook's own timeout is \(InstanceHome.hookTimeoutSeconds) s), \
            or no server, it prints nothing and Claude goes on.
            """
    )

    /// How long the hook waits for the server, retrying while it restarts: just under the hook's
    /// timeout in the instance's settings, so the client never kills it half-way through a reply.
    static let budgetSeconds = Double(InstanceHome.hookTimeoutSeconds) - 2

    @Argument(help: "The hook event, e.g. Stop.")
    var event: String

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["ORCH_URL"], let endpoint = ChannelAddress(url: url), let token = environment["ORCH_TOKEN"], !token.isEmpty else {
            warn("ORCH_URL (http://HOST:PORT) or ORCH_TOKEN is not set; nothing forwarded")
            return
        }
        // A closed or unreadable stdin is an empty body, never a crash: a hook must fail open.
        let limit = HookReceiver.maximumBody + 1
        let body = (try? FileHandle.standardInput.read(upToCount: limit)) ?? nil
        guard let body, !body.isEmpty else {
            warn("no hook JSON on stdin; nothing forwarded")
            return
        }
        guard body.count < limit else {
            warn("the hook's JSON is over \(HookReceiver.maximumBody) bytes; nothing forwarded")
            return
        }
        let outcome = await HookClient(endpoint: endpoint, token: token, timeout: .seconds(Self.budgetSeconds)).send(event: event, body: Array(body))
        switch outcome {
        case .reply(200, let reply):
            FileHandle.standardOutput.write(Data(reply.utf8))
        case .reply(let status, let reply):
            warn("the server answered \(status): \(reply.prefix(300))")
        case .unreachable(let why):
            warn(why)
        }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("orch hook: \(text)\n".utf8))
    }
}
