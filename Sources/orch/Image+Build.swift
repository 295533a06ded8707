import ArgumentParser
import Foundation
import OrchCore
import OrchRuntime

extension Image {
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build the instance image from templates/Dockerfile with this orch, its hooks and Claude Code.",
            discussion: """
                On Linux the running orch goes into the image. On macOS give a Linux build of orch with --orch \
                (README: "On a Mac"). Without --claude the Linux claude binary is fetched from PyPI's claude-agent-sdk wheel.
                """
        )

        @Option(help: ArgumentHelp("The image's name.", valueName: "name:tag"))
        var tag = InstanceImage.defaultTag

        @Option(name: .customLong("from"), help: ArgumentHelp("The base image: Debian bookworm or a derivative.", valueName: "image"))
        var baseImage = "debian:bookworm-slim"

        @Option(help: ArgumentHelp("The Linux claude binary (default: fetched).", valueName: "path"))
        var claude: String?

        @Option(help: ArgumentHelp("A Linux build of orch (default: this orch, on Linux).", valueName: "path"))
        var orch: String?

        @Option(name: .customLong("orch-hook"), help: ArgumentHelp("The Linux orch-hook of that build (default: beside it).", valueName: "path"))
        var forwarder: String?

        @Flag(help: "Build even when an image of the same inputs exists.")
        var force = false

        func validate() throws {
            for (name, path) in [("--claude", claude), ("--orch", orch), ("--orch-hook", forwarder)] {
                if let path, !FileManager.default.isReadableFile(atPath: path) {
                    throw ValidationError("\(name) \(path): no such file")
                }
            }
            #if !os(Linux)
            if orch == nil { throw ValidationError("--orch is required here: the image needs a Linux build of orch (README: \"On a Mac\")") }
            #endif
        }

        func run() async throws {
            let templates = try TemplateDirectory.locate()
            let hooks = URL(fileURLWithPath: templates.path).deletingLastPathComponent().appendingPathComponent("hooks").path
            let engine: ContainerEngine
            do { engine = try await ContainerEngine.detect() } catch let error as RuntimeError { throw OrchError.usage(error.message) }
            guard let orchBinary = orch ?? Self.runningExecutable() else { throw OrchError.usage("cannot tell where this orch is; give --orch") }
            let claudeBinary: String
            if let claude { claudeBinary = claude } else {
                FileHandle.standardError.write(Data("orch: fetching Claude Code from PyPI (claude-agent-sdk)\n".utf8))
                claudeBinary = try await ClaudeFetch().binary(architecture: engine.architecture())
            }
            var configuration = ImageBuild.Configuration(dockerfile: templates.path + "/Dockerfile", orchBinary: orchBinary,
                                                         claudeBinary: claudeBinary, hooksDirectory: hooks)
            if let forwarder { configuration.forwarderBinary = forwarder }
            configuration.tag = tag
            configuration.baseImage = baseImage
            configuration.force = force
            switch try await ImageBuild(configuration: configuration).run() {
            case .current(let hash): print("orch: \(tag) is current (\(InstanceImage.buildLabel)=\(hash))")
            case .built(let hash): print("orch: built \(tag) (\(InstanceImage.buildLabel)=\(hash), protocol \(InstanceImage.protocolVersion))")
            }
        }

        static func runningExecutable() -> String? {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        }
    }
}
