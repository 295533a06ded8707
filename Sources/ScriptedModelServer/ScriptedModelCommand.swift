import ArgumentParser
import Foundation
import ScriptedModel

/// Serves a scripted model on loopback until killed: the demo's stand-in for the Messages API.
@main
struct ScriptedModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scripted-model",
        abstract: "Plays a scripted model to Claude Code (ANTHROPIC_BASE_URL=http://127.0.0.1:PORT)."
    )

    @Option(help: "The script: JSON with rules or steps per API key.")
    var script: String

    @Option(help: "The loopback port; 0 picks a free one.")
    var port = 0

    @Option(help: "A file to write the port to once the server listens.")
    var portFile: String?

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: script) else {
            throw ValidationError("cannot read \(script)")
        }
        let server = try await ScriptedModelServer.start(try ModelScript(json: data, file: script), port: port)
        if let portFile {
            try String(server.port).write(toFile: portFile, atomically: true, encoding: .utf8)
        }
        print("scripted-model: listening on \(server.baseURL)")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
