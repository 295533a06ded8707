import OrchCore

/// How the processes in the containers reach the server: the unix socket
/// (its folder is mounted at the same path) and each instance's token.
///
/// ```swift
/// let endpoint = ServerEndpoint(socketPath: layout.run + "/orch.sock", tokens: [.manager: "9f…", .worker(1): "c4…"])
/// ```
public struct ServerEndpoint: Sendable {
    /// The socket, as `ORCH_SOCKET`.
    public var socketPath: String
    /// Each instance's `ORCH_TOKEN`.
    public var tokens: [InstanceName: String]

    /// - Parameters:
    ///   - socketPath: the socket.
    ///   - tokens: each instance's token.
    public init(socketPath: String, tokens: [InstanceName: String]) {
        self.socketPath = socketPath
        self.tokens = tokens
    }
}
