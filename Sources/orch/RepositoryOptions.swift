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

extension HookClient {
    /// Runs a ``ChannelCommand`` on the server: its reply, or the server's refusal as an error with its exit code.
    func command<Reply: Decodable>(_ name: String, _ request: some Encodable, reply: Reply.Type) async throws -> Reply {
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
