import Foundation
import Logging
import OrchCore
import OrchRuntime
import ServiceLifecycle

/// The merge queue's gate as the server runs it: whenever branches wait and
/// no `orch merge` process holds the target's gate lock, it takes them in
/// order (``MergeGate``). On shutdown a running check is killed and its
/// branches stay queued, to be checked again by the next server.
struct MergeQueueService: Service {
    let gate: MergeGate
    let logger: Logger

    func run() async throws {
        // A container a crashed server's check left running goes before anything else is checked.
        await gate.clearLeftovers()
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await gate.drainIfFree()
                    failures = 0
                } catch is CancellationError {
                    return
                } catch {
                    failures += 1
                    logger.error("the merge queue: \(OrchError(presenting: error)?.message ?? "\(error)")")
                }
                // A failing round (the target unreadable, say) is retried, less often the longer it fails.
                try? await Task.sleep(for: .milliseconds(failures == 0 ? 250 : min(30_000, 1_000 << min(failures, 5))))
            }
        }
    }
}

extension MergeGate {
    /// The gate the server runs for a config with a `mergeCheck`: the check in a container from
    /// the instances' image, secrets of the credential files and the tokens scrubbed from its output,
    /// each check an event and a metric.
    static func forServer(config: OrchestratorConfig, check: MergeCheck, layout: StateLayout, target: String, credentials: [CredentialFile],
                          tokens: InstanceTokens, events: EventLog) throws -> MergeGate {
        let secrets = tokens.allSecrets
        let configuration = Configuration(repository: layout.clone, target: target, check: check,
                                          scrubber: SecretScrubber(credentialFiles: credentials.map(\.path), extras: secrets))
        return try MergeGate(configuration: configuration, runner: ContainerMergeCheck(config: config), observer: recording(to: events))
    }

    /// Each check as a metric and an event.
    static func recording(to events: EventLog) -> @Sendable (CheckEvent) async -> Void {
        { event in
            OrchMetrics.mergeChecks(result: event.cached ? "cached" : event.result).increment()
            if !event.cached { OrchMetrics.mergeCheckSeconds.recordNanoseconds(Int64(event.seconds * 1e9)) }
            await events.append(.mergeCheck, instance: nil, [
                "branches": event.branches.joined(separator: ","), "tree": event.tree, "result": event.result,
                "seconds": String(format: "%.1f", event.seconds), "cached": String(event.cached),
            ])
        }
    }
}
