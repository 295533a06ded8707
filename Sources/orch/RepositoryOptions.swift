import ArgumentParser
import OrchCore

/// `--repo` and `--branch`, shared by the commands that change the target branch.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("The repository (any path inside it, or a bare repository).", valueName: "path"))
    var repositoryPath: String = "."

    @Option(help: "The target branch.")
    var branch: String = "main"

    /// Opens the repository, naming the path when there is none.
    func open() throws -> ProjectRepository {
        try ProjectRepository(path: repositoryPath)
    }
}
