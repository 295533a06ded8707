import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime

@main
struct Orch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orch",
        abstract: "Runs a manager and N workers of Claude Code on one git repository.",
        subcommands: [Serve.self, Status.self, Logs.self, Attach.self, Assign.self, Merge.self, Init.self, Hook.self, Checkout.self, Image.self]
    )

    /// Runs a command and maps every failure to DESIGN.md's exit codes:
    /// 2 for usage and bad input, 1 for other failures and conflicts.
    static func main() async {
        ShutdownSignal.unblock()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error where OrchError(presenting: error) != nil {
            let error = OrchError(presenting: error)!
            FileHandle.standardError.write(Data("orch: \(error.message)\n".utf8))
            Foundation.exit(error.code.exitCode)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
            // ArgumentParser's usage errors exit 64; orch's contract says 2.
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}
