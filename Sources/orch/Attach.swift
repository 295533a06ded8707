import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime

struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach your terminal to an instance's tmux session (detach with C-b d)."
    )

    @Argument(help: "manager or worker-N.")
    var instance: String

    @Option(help: ArgumentHelp("The config directory, to find the state directory as orch serve does.", valueName: "dir"))
    var config: String?

    @Option(help: ArgumentHelp("The state directory.", valueName: "dir"))
    var state: String?

    func validate() throws {
        guard InstanceName(instance) != nil else { throw ValidationError("instance must be manager or worker-N, got \(instance)") }
        guard config != nil || state != nil else { throw ValidationError("give --config or --state") }
    }

    func run() async throws {
        let root: String
        if let state {
            root = state
        } else {
            let settings = try OrchestratorConfig.load(directory: expandingTilde(config!))
            root = settings.stateDirectory ?? StateLayout.defaultRoot(for: settings.repositoryURL)
        }
        let tmux = Tmux(socket: Fleet.projectName(for: StateLayout(root: root)))
        do {
            try await tmux.attachReplacingProcess(instance)
        } catch let error as RuntimeError {
            throw OrchError.failure(error.message)
        }
    }
}
