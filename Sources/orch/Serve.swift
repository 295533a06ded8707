import ArgumentParser
import OrchRuntime
import OrchServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the manager and the workers until SIGINT or SIGTERM.",
        discussion: "Exit 0 on a clean stop, 2 for a bad config or a missing prerequisite (nothing started), 1 on failure."
    )

    @Option(help: ArgumentHelp("The config directory holding orchestrator.json.", valueName: "dir"))
    var config: String

    @Option(help: ArgumentHelp("The state directory (default: stateDir from the config, else ~/.local/state/orch/<repo>).", valueName: "dir"))
    var state: String?

    func run() async throws {
        let shutdown = ShutdownSignal()
        let progress = ProgressLine.onTerminal()
        defer { progress?.finish() }
        let orchestrator = try await Orchestrator.prepare(configDirectory: config, stateDirectory: state)
        print("orch: starting \(orchestrator.config.instanceCount) instances; state in \(orchestrator.layout.root)")
        try await orchestrator.run(until: {
            let signal = await shutdown.wait()
            // Cancelled rather than signalled: the services ended by themselves (an error follows).
            guard !Task.isCancelled else { return }
            print("orch: signal \(signal), stopping")
        }, progress: progress)
        print("orch: stopped; worktrees, branches and homes are kept in \(orchestrator.layout.root)")
    }
}
