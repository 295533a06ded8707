import ArgumentParser
import Foundation
import OrchCore
import OrchServer

/// `--repo` and `--branch`, shared by the commands that change the target branch.
/// Inside an instance's container (`ORCH_URL` and `ORCH_TOKEN` set) without
/// `--repo`, the command goes to the server over the channel instead: the
/// container holds no repository of the server's.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("The repository (any path inside it, or a bare repository); inside an orch container the server's, over the channel.", valueName: "path"))
    var repositoryPath: String?

    @Option(help: "The target branch (over the channel: the server's).")
    var branch: String = "main"

    /// Opens the repository, naming the path when there is none.
    func open() throws -> ProjectRepository {
        try ProjectRepository(path: repositoryPath ?? ".")
    }

    /// The server to send the command to, when it runs inside an instance's container.
    func channel(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> HookClient? {
        guard repositoryPath == nil, let url = environment["ORCH_URL"], let endpoint = ChannelAddress(url: url),
              let token = environment["ORCH_TOKEN"], !token.isEmpty else { return nil }
        return HookClient(endpoint: endpoint, token: token, timeout: .seconds(120))
    }
}
