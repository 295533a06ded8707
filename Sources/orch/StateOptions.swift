import ArgumentParser
import OrchCore

/// `--config DIR` / `--state DIR`: how commands that look at a run find its state directory, as `orch serve` does.
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The config directory, to find the state directory as orch serve does.", valueName: "dir"))
    var config: String?

    @Option(help: ArgumentHelp("The state directory.", valueName: "dir"))
    var state: String?

    /// The state directory and the target branch (from the config when given, else `main`).
    func resolve() throws -> (layout: StateLayout, target: String, workerCount: Int?, mergeCheck: MergeCheck?) {
        if let config {
            let settings = try OrchestratorConfig.load(directory: expandingTilde(config))
            let root = state ?? settings.stateDirectory ?? StateLayout.defaultRoot(for: settings.repositoryURL)
            return (StateLayout(root: root), settings.branch, settings.workerCount, settings.mergeCheck)
        }
        guard let state else { throw ValidationError("give --config or --state") }
        return (StateLayout(root: state), "main", nil, nil)
    }
}
