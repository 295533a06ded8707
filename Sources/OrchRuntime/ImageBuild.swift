import Foundation
import OrchCore

/// Builds the image every instance runs: `templates/Dockerfile` over a base
/// image, with this orch (a Linux build), the hook scripts and the Claude Code
/// binary copied in, labelled with the channel protocol and a hash of what
/// went in, so `orch serve` can refuse an image from another orch and a
/// second build of the same inputs is a no-op.
///
/// ```swift
/// let build = ImageBuild(configuration: .init(dockerfile: "templates/Dockerfile", orchBinary: "/usr/local/bin/orch",
///                                             claudeBinary: claude, hooksDirectory: "hooks"))
/// let outcome = try await build.run()
/// ```
public struct ImageBuild: Sendable {
    /// What goes into the image.
    public struct Configuration: Sendable {
        /// The image's name.
        public var tag = InstanceImage.defaultTag
        /// The image it builds on (Debian bookworm or a derivative; nothing is pulled when it is local).
        public var baseImage = "debian:bookworm-slim"
        /// `templates/Dockerfile`.
        public var dockerfile: String
        /// A Linux build of orch.
        public var orchBinary: String
        /// The Linux `orch-hook` forwarder of the same build: by default beside `orchBinary`.
        public var forwarderBinary: String
        /// The Linux `claude` binary.
        public var claudeBinary: String
        /// orch's `hooks/` folder.
        public var hooksDirectory: String
        /// Build even when an image of the same inputs exists.
        public var force = false

        public init(dockerfile: String, orchBinary: String, claudeBinary: String, hooksDirectory: String) {
            self.dockerfile = dockerfile
            self.orchBinary = orchBinary
            self.forwarderBinary = URL(fileURLWithPath: orchBinary).deletingLastPathComponent().appendingPathComponent(InstanceImage.forwarderName).path
            self.claudeBinary = claudeBinary
            self.hooksDirectory = hooksDirectory
        }
    }

    /// What a run did.
    public enum Outcome: Sendable, Equatable {
        /// An image of these inputs was already there.
        case current(buildHash: String)
        /// The image was built.
        case built(buildHash: String)
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Checks the inputs, then builds unless the image is current.
    /// - Throws: ``OrchError`` (usage) naming the input that is wrong; ``RuntimeError`` when docker fails.
    public func run() async throws -> Outcome {
        let inputs = try checkedInputs()
        let hash = try await buildHash(of: inputs)
        let engine = try await ContainerEngine.detect()
        if !configuration.force, let labels = try await engine.imageLabels(configuration.tag),
           labels[InstanceImage.buildLabel] == hash, labels[InstanceImage.protocolLabel] == String(InstanceImage.protocolVersion) {
            return .current(buildHash: hash)
        }
        let previous = try await runCommand("docker", ["image", "inspect", "--format", "{{.Id}}", configuration.tag], allowFailure: true)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let context = try makeContext(inputs)
        try InstanceImage.managedSettings().write(to: URL(fileURLWithPath: "\(context)/managed-settings.json"))
        defer { try? FileManager.default.removeItem(atPath: context) }
        try await runCommand("docker", [
            "build", "--tag", configuration.tag, "--file", "\(context)/Dockerfile",
            "--build-arg", "BASE_IMAGE=\(configuration.baseImage)",
            "--build-arg", "ORCH_PROTOCOL=\(InstanceImage.protocolVersion)",
            "--build-arg", "ORCH_BUILD=\(hash)",
            "--build-arg", "CLAUDE_VERSION=\(await claudeVersion())",
            context,
        ])
        // The image this one replaces is left untagged: drop it unless a container still uses it.
        if previous.hasPrefix("sha256:") { try? await runCommand("docker", ["rmi", previous], allowFailure: true) }
        return .built(buildHash: hash)
    }

    /// The files copied into the build context, by their name there, each checked in this order.
    private func checkedInputs() throws -> [(name: String, path: String, mode: Int)] {
        let inputs: [(name: String, path: String, mode: Int, option: String?)] = [
            ("Dockerfile", configuration.dockerfile, 0o644, nil),
            ("orch", configuration.orchBinary, 0o755, "--orch"),
            (InstanceImage.forwarderName, configuration.forwarderBinary, 0o755, "--orch-hook"),
            ("claude", configuration.claudeBinary, 0o755, "--claude"),
            ("forward", configuration.hooksDirectory + "/forward", 0o755, nil),
        ]
        for (name, path, _, option) in inputs {
            guard FileManager.default.isReadableFile(atPath: path) else {
                if name == InstanceImage.forwarderName {
                    throw OrchError.usage("--orch-hook: cannot read \(path); orch-hook is built beside orch (swift build --product orch-hook)")
                }
                throw OrchError.usage("\(option ?? name): cannot read \(path)")
            }
            guard let option else { continue }
            let handle = FileHandle(forReadingAtPath: path)
            let magic = (try? handle?.read(upToCount: 4)) ?? nil
            try? handle?.close()
            guard magic == Data([0x7F, 0x45, 0x4C, 0x46]) else {
                throw OrchError.usage("\(option) \(path) is not a Linux executable (ELF); instances run Linux")
            }
        }
        return inputs.map { ($0.name, $0.path, $0.mode) }
    }

    /// A hash of every input and the base image's name: equal hashes, equal images.
    private func buildHash(of inputs: [(name: String, path: String, mode: Int)]) async throws -> String {
        let program = ContainerEngine.executableOnPath("sha256sum") != nil ? ["sha256sum"] : ["shasum", "-a", "256"]
        let sums = try await runCommand(program[0], Array(program.dropFirst()) + inputs.map(\.path))
        let digests = sums.split(separator: "\n").map { $0.prefix(64) }.joined(separator: " ")
        let settings = String(decoding: InstanceImage.managedSettings(), as: UTF8.self)
        let combined = digests + " base=\(configuration.baseImage) protocol=\(InstanceImage.protocolVersion) settings=\(settings)"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("orch-build-hash-\(UUID().uuidString)").path
        try combined.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return String(try await runCommand(program[0], Array(program.dropFirst()) + [file]).prefix(16))
    }

    /// A fresh context folder with the inputs copied in (the classic builder keeps their modes).
    private func makeContext(_ inputs: [(name: String, path: String, mode: Int)]) throws -> String {
        let context = FileManager.default.temporaryDirectory.appendingPathComponent("orch-image-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        for (name, path, mode) in inputs {
            try FileManager.default.copyItem(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path, toPath: "\(context)/\(name)")
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: "\(context)/\(name)")
        }
        return context
    }

    /// The Claude Code version, when its binary runs here (on a Mac the Linux one does not).
    private func claudeVersion() async -> String {
        guard let output = try? await runCommand(configuration.claudeBinary, ["--version"]),
              let version = output.split(separator: " ").first else { return "unknown" }
        return String(version).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
