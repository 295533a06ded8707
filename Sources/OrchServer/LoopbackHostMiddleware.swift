import Hummingbird

/// Answers 421 to a request whose `Host` is not this machine's loopback
/// name: a page on another site that gets its name resolved to 127.0.0.1
/// (DNS rebinding) must not read the dashboard or its metrics.
struct LoopbackHostMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Dashboard.isLoopback(request.head.authority) else {
            return Response(status: .misdirectedRequest, headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: "the dashboard answers only to http://127.0.0.1 or http://localhost\n")))
        }
        return try await next(request, context)
    }

}

extension Dashboard {
    /// Whether an authority (`host:port`) names loopback.
    static func isLoopback(_ authority: String?) -> Bool {
        guard let authority else { return false }
        let host = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }) + "]"
            : String(authority.prefix { $0 != ":" })
        return ["127.0.0.1", "localhost", "[::1]"].contains(host.lowercased())
    }
}
