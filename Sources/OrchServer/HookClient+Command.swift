import Foundation
import OrchCore

extension HookClient {
    /// Runs a ``ChannelCommand`` on the server: its reply, or the server's refusal as an error with its exit code.
    public func command<Reply: Decodable>(_ name: String, _ request: some Encodable, reply: Reply.Type) async throws -> Reply {
        let body = try JSONEncoder().encode(request)
        switch await post(ChannelCommand.path(name), body: Array(body)) {
        case .reply(200, let text):
            guard let decoded = try? JSONDecoder().decode(Reply.self, from: Data(text.utf8)) else {
                throw OrchError.failure("the server's answer to orch \(name) is not understood: \(text.prefix(200))")
            }
            return decoded
        case .reply(let status, let text):
            if let failure = try? JSONDecoder().decode(ChannelCommand.Failure.self, from: Data(text.utf8)) {
                throw OrchError(failure.exitCode == 2 ? .usage : .failure, failure.error)
            }
            throw OrchError.failure("the server refused orch \(name) (\(status)): \(text.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))")
        case .unreachable(let why):
            throw OrchError.failure("orch \(name) could not reach the server: \(why)")
        }
    }
}

extension HookClient {
    /// `orch merge` over the channel: asks again with the entries still pending until every branch has its result.
    public func merge(_ request: ChannelCommand.MergeRequest) async throws -> ChannelCommand.MergeReply {
        var reply = try await command("merge", request, reply: ChannelCommand.MergeReply.self)
        while let pending = reply.pending, !pending.isEmpty {
            let next = try await command("merge", ChannelCommand.MergeRequest(branches: [], all: false, waitFor: pending), reply: ChannelCommand.MergeReply.self)
            reply = ChannelCommand.MergeReply(target: next.target, results: reply.results + next.results, pending: next.pending)
        }
        return reply
    }
}
