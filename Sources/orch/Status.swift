import ArgumentParser
import Foundation
import OrchCore
import OrchServer

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every instance, task and credential file of a run (exit 1 when its server is down).",
        discussion: "Inside a container it asks the server at $ORCH_URL. The --json schema is in docs/DESIGN.md."
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
        let environment = ProcessInfo.processInfo.environment
        // On the host: the endpoint and the operator's token the server left in its state; in a container: its own.
        let server: (url: String, token: String)? = if let layout = resolved?.layout {
            ChannelEndpoint.load(from: layout.endpoint).map { ($0.hostURL, InstanceTokens.operatorToken(inFile: layout.tokens) ?? "") }
        } else if let url = environment["ORCH_URL"], !url.isEmpty {
            (url, environment["ORCH_TOKEN"] ?? "")
        } else {
            nil
        }
        guard resolved != nil || server != nil else {
            throw ValidationError("give --config or --state (outside a container orch serve started)")
        }
        if let server, let endpoint = ChannelAddress(url: server.url),
           case .reply(200, let body) = await HookClient(endpoint: endpoint, token: server.token, timeout: .seconds(1)).get("/status"),
           let report = try? JSONDecoder().decode(StatusReport.self, from: Data(body.utf8)) {
            return report
        }
        guard let (layout, target, workerCount, mergeCheck) = resolved else {
            throw OrchError.failure("no orch server answers at \(server?.url ?? "$ORCH_URL")")
        }
        let instances = workerCount.map { InstanceName.all(workerCount: $0) }
            ?? ((try? FileManager.default.contentsOfDirectory(atPath: layout.worktrees)) ?? []).compactMap { InstanceName($0) }.sorted()
        guard FileManager.default.fileExists(atPath: layout.clone) else {
            throw OrchError.usage("no orch state in \(layout.root) (no repo.git)")
        }
        return try StatusReport.fromState(layout: layout, target: target, instances: instances, mergeCheck: mergeCheck)
    }
}
