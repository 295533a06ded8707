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

    @OptionGroup var location: StateOptions

    func validate() throws {
        guard InstanceName(instance) != nil else { throw ValidationError("instance must be manager or worker-N, got \(instance)") }
        guard location.config != nil || location.state != nil else { throw ValidationError("give --config or --state") }
    }

    func run() async throws {
        let tmux = Tmux(socket: Fleet.projectName(for: try location.resolve().layout))
        do {
            try await tmux.attachReplacingProcess(instance)
        } catch let error as RuntimeError {
            throw OrchError.failure(error.message)
        }
    }
}
