import Foundation
import Hummingbird
import OrchCore

extension HookReceiver {
    /// `POST /command/merge` and `/command/assign`: the manager's `orch merge` and `orch assign` from its container
    /// (and a person's on the host, with the operator's token).
    func addCommandRoutes(to router: Router<BasicRequestContext>, commands: ManagerCommands) {
        router.post(RouterPath(ChannelCommand.path("merge"))) { request, _ in
            try await self.command(request, decoding: ChannelCommand.MergeRequest.self) { await commands.merge($0) }
        }
        router.post(RouterPath(ChannelCommand.path("assign"))) { request, _ in
            try await self.command(request, decoding: ChannelCommand.AssignRequest.self) { await commands.assign($0) }
        }
    }

    private func command<Body: Decodable>(_ request: Request, decoding: Body.Type,
                                          run: (Body) async -> (status: Int, body: Data)) async throws -> Response {
        // Read before any refusal, as for hooks (see respond(to:context:)).
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limits.maximumBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return Self.plain(.contentTooLarge, "body over \(limits.maximumBody) bytes\n")
        }
        guard let caller = caller(of: request) else { return Self.plain(.unauthorized, "missing or unknown token\n") }
        // The operator's token is the person's on the host (`orch merge --config`), from the 0600 tokens file.
        guard caller == .instance(.manager) || caller == .operator else {
            logger.warning("a command on the target from \(caller) refused")
            return Self.plain(.forbidden, "only the manager merges and assigns\n")
        }
        guard let decoded = try? JSONDecoder().decode(Body.self, from: Data(buffer: body)) else {
            return Self.plain(.badRequest, "the body is not a \(Body.self) as JSON\n")
        }
        let (status, reply) = await run(decoded)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: reply)))
    }
}
