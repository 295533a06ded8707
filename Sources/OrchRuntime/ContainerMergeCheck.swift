import Foundation
import OrchCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs the merge check in a container from the instances' image, so the
/// project's toolchain is the one the agents use, held like an instance's
/// container (no capability, no new privileges, a read-only root, a process
/// limit, the config's network and resources), with the gate's worktree and
/// HOME its only mounts, at the same paths as on the host (a build's caches
/// name absolute paths). It gets no token and no credential.
public struct ContainerMergeCheck: MergeCheckRunner {
    public var image: String
    public var network: String
    public var resources: OrchestratorConfig.Resources?

    /// How much of the output's end is kept.
    static let tailBytes = 8_192

    public init(image: String, network: String, resources: OrchestratorConfig.Resources?) {
        self.image = image
        self.network = network
        self.resources = resources
    }

    /// The projection of a validated config.
    public init(config: OrchestratorConfig) {
        self.init(image: config.image, network: config.network, resources: config.resources)
    }

    /// The container's name: one per gate place, so a run a crash left behind is removed before the next.
    public static func containerName(_ place: GatePlace) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in place.root.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "orch-gate-" + String(hash, radix: 16)
    }

    func arguments(_ check: MergeCheck, in place: GatePlace) -> [String] {
        var arguments = ["run", "--rm", "--name", Self.containerName(place), "--init", "--user", "\(getuid()):\(getgid())",
                         "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--read-only", "--tmpfs", "/tmp",
                         "--pids-limit", String(resources?.pids ?? 2_048), "--network", network,
                         "-v", "\(place.worktree):\(place.worktree)", "-v", "\(place.home):\(place.home)",
                         "-w", place.worktree, "-e", "HOME=\(place.home)", "-e", "CI=1", "--entrypoint", "/bin/sh"]
        if let cpus = resources?.cpus { arguments += ["--cpus", String(cpus)] }
        if let memory = resources?.memory { arguments += ["--memory", memory] }
        // One stream, in order: the end of it is what the worker is shown. docker run exits 125 when it
        // cannot start the container, so the command's own 125 is passed on as 1.
        return arguments + [image, "-c", "exec 2>&1\n(\n" + check.command + "\n)\nstatus=$?\n[ \"$status\" -eq 125 ] && status=1\nexit \"$status\""]
    }

    /// The image's id (a rebuilt `:latest` is another toolchain), else its name.
    public func identity() async -> String {
        let id = (try? await runCommand("docker", ["image", "inspect", "--format", "{{.Id}}", image], allowFailure: true)) ?? ""
        return id.hasPrefix("sha256:") ? id.trimmingCharacters(in: .whitespacesAndNewlines) : image
    }

    public func clear(_ place: GatePlace) async {
        await Self.remove(Self.containerName(place))
    }

    /// Kills and removes a container from a task of its own: when the gate was cancelled (the server
    /// stopping), a command run from the cancelled task would be killed before it did anything.
    static func remove(_ name: String) async {
        await Task.detached {
            // An engine that does not answer must not hold up the gate (or the server's stop) for good.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await runCommand("docker", ["rm", "-f", name], allowFailure: true) }
                group.addTask { try? await Task.sleep(for: .seconds(30)) }
                await group.next()
                group.cancelAll()
            }
        }.value
    }

    /// A check's output beyond this is not the project's test log: the check is stopped as failed.
    static let maximumLog: UInt64 = 256 << 20

    public func run(_ check: MergeCheck, in place: GatePlace) async -> CheckRun {
        let name = Self.containerName(place)
        await Self.remove(name)
        let log = place.root + "/check.log"
        let started = ContinuousClock.now
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await Self.runDocker(self.arguments(check, in: place), log: log) }
            group.addTask { await Self.watch(log: log, until: started + .seconds(check.timeoutSeconds)) }
            var first: Outcome?
            for await result in group {
                guard let result else { continue }
                first = first ?? result
                if case .exited = result {} else { await Self.remove(name) }
                group.cancelAll()
            }
            return first ?? .failedToStart("cancelled")
        }
        // A cancelled run (the server stopping) or a killed one: nothing of it may stay.
        await Self.remove(name)
        let seconds = started.duration(to: .now).inSeconds
        let tail = Self.tail(ofFile: log)
        switch outcome {
        // 125: docker's own error (the engine, the image), not the command's.
        case .exited(125): return CheckRun(exitCode: nil, seconds: seconds, tail: tail, startFailure: "docker run exited 125: \(tail.suffix(300))")
        case .exited(let code): return CheckRun(exitCode: code, seconds: seconds, tail: tail)
        case .timedOut: return CheckRun(exitCode: nil, timedOut: true, seconds: seconds, tail: tail)
        case .tooMuchOutput: return CheckRun(exitCode: nil, seconds: seconds, tail: tail + "\n[orch: the check wrote more than \(Self.maximumLog >> 20) MiB and was stopped]")
        case .failedToStart(let why): return CheckRun(exitCode: nil, seconds: seconds, tail: tail, startFailure: why)
        }
    }

    /// Waits for the deadline, checking the log's size every second; nil when cancelled (the check ended first).
    static func watch(log: String, until deadline: ContinuousClock.Instant) async -> Outcome? {
        while ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: min(.seconds(1), deadline - .now))
            } catch {
                return nil
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: log)[.size] as? UInt64) ?? 0
            if size > maximumLog { return .tooMuchOutput }
        }
        return Task.isCancelled ? nil : .timedOut
    }

    enum Outcome: Sendable {
        case exited(Int32)
        case timedOut
        case tooMuchOutput
        case failedToStart(String)
    }

    static func runDocker(_ arguments: [String], log: String) async -> Outcome {
        let descriptor = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return .failedToStart("cannot write \(log)") }
        do {
            let result = try await Subprocess.run(
                .name("docker"), arguments: Arguments(arguments),
                output: .fileDescriptor(FileDescriptor(rawValue: descriptor), closeAfterSpawningProcess: true),
                error: .fileDescriptor(FileDescriptor(rawValue: dup(descriptor)), closeAfterSpawningProcess: true))
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .exited(128 + signal)
            }
        } catch {
            return .failedToStart("cannot run docker: \(error)")
        }
    }

    /// The end of the log, in whole lines, with terminal control sequences taken out.
    static func tail(ofFile path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0)
        var text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        if size > UInt64(tailBytes), let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        text = text.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
        return Tmux.printable(text)
    }

    /// Refuses a command whose program the image does not have.
    /// - Throws: ``OrchError`` (usage) naming the field, the program and the image.
    public func verify(_ check: MergeCheck, field: String) async throws {
        guard let program = check.program else { throw OrchError.usage("\(field): names no program") }
        let output = try await runCommand("docker", ["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c",
                                                     "command -v \"$1\" >/dev/null && echo found", "sh", program], allowFailure: true)
        guard output.contains("found") else {
            throw OrchError.usage("\(field): `\(program)` is not found in the image \(image) (the check runs there, as the instances do)")
        }
    }
}
