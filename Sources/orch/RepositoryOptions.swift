import ArgumentParser
import GitKit
import OrchCore

/// `--repo` and `--branch`, shared by the commands that change the target branch.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("The repository (any path inside it, or a bare repository).", valueName: "path"))
    var repositoryPath: String = "."

    @Option(help: "The target branch.")
    var branch: String = "main"

    /// Opens the repository, naming the path when there is none.
    func open() throws -> Repository {
        do {
            return try Repository.open(at: repositoryPath)
        } catch let error as GitError where error.code == .notFound {
            throw OrchError.usage("no git repository at \(repositoryPath) (--repo)")
        }
    }
}
