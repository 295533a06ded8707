import Foundation
import OrchCore
import OrchRuntime

extension Orchestrator {
    /// Where the hook endpoint binds and the host the containers are told:
    /// the config's `channel`, else what the engine says its network reaches.
    /// - Throws: ``OrchError`` (usage) naming the field when neither tells.
    static func channelReach(config: OrchestratorConfig, engine: ContainerEngine) async throws -> ContainerEngine.HostReach {
        let configured = config.channel.url.flatMap(ChannelAddress.init(url:))
        var reach: ContainerEngine.HostReach
        if let listen = config.channel.listen {
            reach = .init(listen: listen, advertised: configured?.host ?? listen)
        } else {
            do {
                reach = try await engine.hostReach(network: config.network)
            } catch let error as RuntimeError {
                throw OrchError.usage(error.message)
            }
            if let configured { reach.advertised = configured.host }
        }
        // Docker Desktop's host.docker.internal, say: Claude Code's own HTTP hooks would refuse it.
        if config.channel.hooks == .http, !ChannelAddress.isIPLiteral(reach.advertised) {
            throw OrchError.usage("channel.hooks: " + ChannelSettings.httpNeedsAnAddress(host: reach.advertised))
        }
        return reach
    }

    /// The address the endpoint binds: the config's port, else the one the last
    /// server used (containers that outlived it still have that URL), else any free one.
    var listenAddress: ChannelAddress {
        let previous = ChannelEndpoint.load(from: layout.endpoint).flatMap { $0.listen == reach.listen ? $0.port : nil }
        return ChannelAddress(host: reach.listen, port: config.channel.port ?? previous ?? 0)
    }

    /// Keeps where the endpoint listens in the state directory (for `orch status` and the next server)
    /// and returns what the containers are given.
    func recordEndpoint(port: Int, tokens: InstanceTokens) throws -> ServerEndpoint {
        let url = config.channel.url ?? ChannelAddress(host: reach.advertised, port: port).url
        try ChannelEndpoint(listen: reach.listen, port: port, containerURL: url).save(to: layout.endpoint)
        let byInstance = Dictionary(uniqueKeysWithValues: workspace.instances.compactMap { instance in tokens.token(for: instance).map { (instance, $0) } })
        return ServerEndpoint(url: url, tokens: byInstance)
    }
}
