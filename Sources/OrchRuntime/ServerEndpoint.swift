import OrchCore

/// How the processes in the containers reach the server: the hook endpoint's
/// URL as seen from a container, and each instance's token. Nothing of the
/// server's is mounted: the channel is all an instance gets.
///
/// ```swift
/// let endpoint = ServerEndpoint(url: "http://172.17.0.1:40213", tokens: [.manager: "9f…", .worker(1): "c4…"])
/// ```
public struct ServerEndpoint: Sendable {
    /// The base URL, as `ORCH_URL`.
    public var url: String
    /// Each instance's `ORCH_TOKEN`.
    public var tokens: [InstanceName: String]

    /// - Parameters:
    ///   - url: the base URL.
    ///   - tokens: each instance's token.
    public init(url: String, tokens: [InstanceName: String]) {
        self.url = url
        self.tokens = tokens
    }
}
