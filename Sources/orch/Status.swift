import ArgumentParser
import Foundation
import OrchCore
import OrchServer

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every instance, task and credential file of a run (exit 1 when its server is down).",
        discussion: "Inside a container it asks the server at $ORCH_SOCKET. The --json schema is in docs/DESIGN.md."
    )

    @OptionGroup var location: StateOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Refresh every 2 s until interrupted.")
    var watch = false

    func run() async throws {
        while true {
            let report = try await load()
            if watch { print("\u{1B}[H\u{1B}[2J", terminator: "") }
            print(json ? report.json : report.table)
            guard watch else {
                if report.server != "running" { throw ExitCode(1) }
                return
            }
            try await Task.sleep(for: .seconds(2))
        }
    }

    private func load() async throws -> StatusReport {
        let fromState = location.config != nil || location.state != nil
        let resolved = fromState ? try location.resolve() : nil
        guard let socket = resolved.map({ $0.layout.socket }) ?? ProcessInfo.processInfo.environment["ORCH_SOCKET"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("give --config or --state (outside a container orch serve started)")
        }
        if case .reply(200, let body) = await HookClient(socketPath: socket, token: "", timeout: .seconds(1)).get("/status"),
           let report = try? JSONDecoder().decode(StatusReport.self, from: Data(body.utf8)) {
            return report
        }
        guard let (layout, target, workerCount) = resolved else {
            throw OrchError.failure("no orch server answers at \(socket)")
        }
        let instances = workerCount.map { InstanceName.all(workerCount: $0) }
            ?? ((try? FileManager.default.contentsOfDirectory(atPath: layout.worktrees)) ?? []).compactMap { InstanceName($0) }.sorted()
        guard FileManager.default.fileExists(atPath: layout.clone) else {
            throw OrchError.usage("no orch state in \(layout.root) (no repo.git)")
        }
        return try StatusReport.fromState(layout: layout, target: target, instances: instances)
    }
}
