import ArgumentParser

struct Image: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the image instances run in.",
        subcommands: [Build.self]
    )
}
