import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime

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
        let configDirectory = expandingTilde(config)
        let settings = try OrchestratorConfig.load(directory: configDirectory)
        let credentials = try settings.credentialFiles(configFile: configDirectory + "/orchestrator.json")
        let templates = try TemplateDirectory.locate()
        let engine: ContainerEngine
        do {
            _ = try await Tmux(socket: "orch-probe").sessions()
            engine = try await ContainerEngine.detect()
        } catch let error as RuntimeError {
            throw OrchError.usage(error.message)
        }
        guard try await engine.hasImage(settings.image) else {
            throw OrchError.usage("image \(settings.image) (field image) is not present; build it (scripts/build-test-image for orch-claude-test:latest, or templates/Dockerfile)")
        }
        let layout = StateLayout(root: state ?? settings.stateDirectory ?? StateLayout.defaultRoot(for: settings.repositoryURL))
        let lock = try StateLock(path: layout.lock)
        let workspace = try Workspace.prepare(repositoryURL: settings.repositoryURL, target: settings.branch, workerCount: settings.workerCount, layout: layout)
        let hooks = URL(fileURLWithPath: templates.path).deletingLastPathComponent().appendingPathComponent("hooks").path
        let fleet = try await Fleet.launch(config: settings, credentials: credentials, workspace: workspace, templates: templates, engine: engine,
                                           hooksDirectory: FileManager.default.fileExists(atPath: hooks) ? hooks : nil)
        print("orch: \(fleet.instances.count) instances running (tmux -L \(fleet.tmux.socket)); state in \(layout.root)")
        let signal = await shutdown.wait()
        print("orch: signal \(signal), stopping")
        await fleet.stop()
        withExtendedLifetime(lock) {}
        print("orch: stopped; worktrees, branches and homes are kept in \(layout.root)")
    }
}
