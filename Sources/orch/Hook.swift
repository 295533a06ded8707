import ArgumentParser
import Foundation
import OrchServer

struct Hook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward a Claude Code hook event to the orch server (used by hooks/).",
        discussion: """
            Reads the hook's JSON on stdin, posts it over $ORCH_SOCKET with $ORCH_TOKEN and prints the reply. \
            Always exits 0: with no answer within 5 s, or no server, it prints nothing and Claude goes on.
            """
    )

    @Argument(help: "The hook event, e.g. Stop.")
    var event: String

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let socket = environment["ORCH_SOCKET"], !socket.isEmpty, let token = environment["ORCH_TOKEN"], !token.isEmpty else {
            FileHandle.standardError.write(Data("orch hook: ORCH_SOCKET or ORCH_TOKEN is not set; nothing forwarded\n".utf8))
            return
        }
        let body = FileHandle.standardInput.readDataToEndOfFile()
        let outcome = await HookClient(socketPath: socket, token: token).send(event: event, body: Array(body))
        switch outcome {
        case .reply(200, let reply):
            FileHandle.standardOutput.write(Data(reply.utf8))
        case .reply(let status, let reply):
            FileHandle.standardError.write(Data("orch hook: the server answered \(status): \(reply.prefix(300))\n".utf8))
        case .unreachable(let why):
            FileHandle.standardError.write(Data("orch hook: \(why)\n".utf8))
        }
    }
}
