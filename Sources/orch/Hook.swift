import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime
import OrchServer
import OrchWire

struct Hook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward a Claude Code hook event to the orch server (used by hooks/).",
        discussion: """
            Reads the hook's JSON on stdin (at most 1 MiB), posts it to $ORCH_URL with $ORCH_TOKEN and prints the reply. \
            Always exits 0: with no answer within \(Int(Self.budgetSeconds)) s (the hook's own timeout is \(InstanceHome.hookTimeoutSeconds) s), \
            or no server, it prints nothing and Claude goes on.
            """
    )

    /// How long the hook waits for the server, retrying while it restarts (``HookWire/budgetSeconds``).
    static let budgetSeconds = Double(HookWire.budgetSeconds)

    @Argument(help: "The hook event, e.g. Stop.")
    var event: String

    /// `orch-hook` got the server's reply already and found the server's branch moved: take it, print the reply.
    @Flag(help: .hidden)
    var replyOnStdin = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["ORCH_URL"], let endpoint = ChannelAddress(url: url), let token = environment["ORCH_TOKEN"], !token.isEmpty else {
            warn("ORCH_URL (http://HOST:PORT) or ORCH_TOKEN is not set; nothing forwarded")
            return
        }
        if replyOnStdin { return await printTaking(reply: (try? FileHandle.standardInput.readToEnd()) ?? Data()) }
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
        let clock = ContinuousClock()
        let started = clock.now
        let clone = InstanceClone.fromEnvironment().flatMap { $0.exists ? $0 : nil }
        // The server reads the worker's commits from its own clone: they go there before the Stop does.
        if event == HookEventName.stop.rawValue, let clone, case .failed(let why) = await clone.handBack() {
            warn("cannot hand \(clone.instance.branch) back to the server: \(why)")
        }
        let remaining = Duration.seconds(Self.budgetSeconds) - (clock.now - started)
        let outcome = await HookClient(endpoint: endpoint, token: token, timeout: remaining).send(event: event, body: Array(body))
        switch outcome {
        case .reply(200, var reply):
            if let clone, HookEventName(rawValue: event)?.mayHaveMovedBranch(replied: !reply.isEmpty) == true {
                reply = await take(clone, into: reply)
            }
            FileHandle.standardOutput.write(Data(reply.utf8))
        case .reply(let status, let reply):
            warn("the server answered \(status): \(reply.prefix(300))")
        case .unreachable(let why):
            warn(why)
        }
    }

    private func printTaking(reply data: Data) async {
        var reply = String(decoding: data, as: UTF8.self)
        if let clone = InstanceClone.fromEnvironment().flatMap({ $0.exists ? $0 : nil }) { reply = await take(clone, into: reply) }
        FileHandle.standardOutput.write(Data(reply.utf8))
    }

    private func take(_ clone: InstanceClone, into reply: String) async -> String {
        do {
            guard case .blocked(let why) = try await clone.takeServerBranch() else { return reply }
            return HookReply.noting("""
                [orch] The server's \(clone.instance.branch) has moved on (\(clone.target) merged in), but your clone could not follow: \(why). \
                Commit or stash what is in the way, then run `git pull --no-edit origin \(clone.instance.branch)`.
                """, in: reply)
        } catch {
            warn("cannot take the server's \(clone.instance.branch): \(error)")
            return reply
        }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("orch hook: \(text)\n".utf8))
    }
}
