import Foundation
import HTTPTypes
import Hummingbird
import OrchCore
import OrchRuntime

extension HookReceiver {
    /// git's smart HTTP under `/git/repo.git/` for an instance's token: its clone comes from here and its
    /// commits go back here (``GitHTTPBackend`` keeps each instance to its own branch).
    func addGitRoutes(to router: Router<BasicRequestContext>, backend: GitHTTPBackend) {
        let base = GitHTTPBackend.urlPath
        router.get("\(base)/info/refs") { request, _ in try await self.git(request, path: "info/refs", backend: backend) }
        router.post("\(base)/git-upload-pack") { request, _ in try await self.git(request, path: "git-upload-pack", backend: backend) }
        router.post("\(base)/git-receive-pack") { request, _ in try await self.git(request, path: "git-receive-pack", backend: backend) }
    }

    private func git(_ request: Request, path: String, backend: GitHTTPBackend) async throws -> Response {
        guard case .instance(let instance) = caller(of: request) else {
            logger.warning("git call with a missing, unknown or operator token refused")
            return Response(status: .unauthorized, headers: [.contentType: "text/plain", .wwwAuthenticate: "Bearer"],
                            body: .init(byteBuffer: ByteBuffer(string: "missing or unknown token\n")))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: GitHTTPBackend.maximumPush)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return Response(status: .contentTooLarge, body: .init(byteBuffer: ByteBuffer(string: "push over \(GitHTTPBackend.maximumPush) bytes\n")))
        }
        let gitRequest = GitHTTPBackend.Request(
            method: request.method.rawValue, path: path, query: request.uri.query ?? "", contentType: request.headers[.contentType],
            contentEncoding: request.headers[.contentEncoding], gitProtocol: request.headers[HTTPField.Name("Git-Protocol")!], body: Array(buffer: body))
        let reply: GitHTTPBackend.Reply
        do {
            reply = try await backend.serve(gitRequest, as: instance)
        } catch {
            logger.error("git for \(instance) failed: \(error)")
            return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "git failed on the server\n")))
        }
        var headers = HTTPFields()
        for (name, value) in reply.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: reply.body)))
    }
}
