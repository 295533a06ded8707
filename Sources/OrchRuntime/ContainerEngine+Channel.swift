import Foundation
import OrchCore

extension ContainerEngine {
    /// Where the hook endpoint should bind so that containers on `network`
    /// reach it, and the host name they use for it.
    public struct HostReach: Sendable, Equatable {
        /// The address to bind.
        public var listen: String
        /// The host in the containers' `ORCH_URL`.
        public var advertised: String

        /// - Parameters: see the properties.
        public init(listen: String, advertised: String) {
            self.listen = listen
            self.advertised = advertised
        }
    }

    /// Where containers on `network` reach this machine: loopback for the host
    /// network; the network's gateway (an address of this machine) for a bridge;
    /// on Docker Desktop, whose containers run in a VM, loopback, which the VM
    /// forwards from `host.docker.internal`. Never every interface.
    /// - Parameters:
    ///   - network: the config's `network`.
    /// - Throws: ``RuntimeError`` naming the network when its gateway cannot be read.
    public func hostReach(network: String) async throws -> HostReach {
        if try await isDesktop() {
            return HostReach(listen: "127.0.0.1", advertised: "host.docker.internal")
        }
        if network == "host" { return HostReach(listen: "127.0.0.1", advertised: "127.0.0.1") }
        let name = network == "default" ? "bridge" : network
        let output = try await runCommand("docker", ["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}},{{.Subnet}} {{end}}", name],
                                          allowFailure: true)
        // The default bridge lists only its subnet; its gateway is then the subnet's first address (docker0's).
        let gateways = output.split(separator: " ").compactMap { entry -> String? in
            let parts = entry.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let gateway = parts.first, ChannelAddress.isIPLiteral(gateway) { return gateway }
            return parts.count > 1 ? Self.firstAddress(ofSubnet: parts[1]) : nil
        }
        // IPv4 first: every container on the network has an IPv4 address, not always an IPv6 one.
        guard let gateway = gateways.first(where: { !$0.contains(":") }) ?? gateways.first else {
            throw RuntimeError(code: .commandFailed, command: ["docker", "network", "inspect", name],
                               message: "cannot read the gateway of Docker network \(name) (field network); set channel.listen and channel.url")
        }
        return HostReach(listen: gateway, advertised: gateway)
    }

    /// The first host address of an IPv4 subnet (`172.17.0.0/16` → `172.17.0.1`), nil for anything else.
    static func firstAddress(ofSubnet subnet: String) -> String? {
        let parts = subnet.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (8...30).contains(bits) else { return nil }
        let octets = parts[0].split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        let network = octets.reduce(0) { $0 << 8 | $1 } & (UInt32.max << UInt32(32 - bits))
        let first = network + 1
        return [24, 16, 8, 0].map { String((first >> UInt32($0)) & 255) }.joined(separator: ".")
    }

    /// Whether the engine is Docker Desktop (containers in a VM, the host as `host.docker.internal`).
    func isDesktop() async throws -> Bool {
        let output = try await runCommand("docker", ["info", "--format", "{{.OperatingSystem}}"], allowFailure: true)
        return output.contains("Docker Desktop")
    }
}
