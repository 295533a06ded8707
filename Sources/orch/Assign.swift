import ArgumentParser
import OrchCore

struct Assign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append a task to a worker's task list on the target branch and print its id."
    )

    @Option(help: "The worker's number, from 1.")
    var worker: Int

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "What the worker should do, one line.")
    var text: [String]

    func validate() throws {
        guard worker >= 1 else { throw ValidationError("--worker must be 1 or more, got \(worker)") }
        guard !text.joined().allSatisfy(\.isWhitespace) else { throw ValidationError("the task text is empty") }
    }

    func run() async throws {
        if let server = repository.channel() {
            print(try await server.command("assign", ChannelCommand.AssignRequest(worker: worker, text: text.joined(separator: " ")),
                                           reply: ChannelCommand.AssignReply.self).id)
            return
        }
        let assignment = try TaskAssignment(worker: worker, text: text.joined(separator: " "), branch: repository.branch)
        let id = try assignment.commit(to: repository.open())
        print(id)
    }
}
