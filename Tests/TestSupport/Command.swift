import Foundation

/// What a finished process printed and returned.
public struct CommandResult: Sendable {
    /// Its exit status.
    public let status: Int32
    /// Everything it wrote to standard output.
    public let stdout: String
    /// Everything it wrote to standard error.
    public let stderr: String
}

/// An error for a command that exited non-zero where success was expected.
public struct CommandFailed: Error, CustomStringConvertible {
    /// The command line.
    public let command: [String]
    /// What it returned.
    public let result: CommandResult
    public var description: String {
        "\(command.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)"
    }
}

/// SIGPIPE ignored in the test process, once: a write to a child that has exited fails instead of killing the tests.
private let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

/// Runs a program to completion.
/// - Parameters:
///   - executable: an absolute path, or a name looked up in PATH.
///   - arguments: its arguments.
///   - directory: its working directory.
///   - environment: extra variables on top of this process's.
///   - input: bytes for its standard input.
/// - Throws: when the program cannot start.
@discardableResult
public func run(
    _ executable: String, _ arguments: [String], in directory: String? = nil,
    environment: [String: String] = [:], input: String? = nil
) throws -> CommandResult {
    let process = Process()
    if executable.hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inPipe = Pipe()
    process.standardInput = inPipe
    try process.run()
    // A child may exit before it reads (orch-hook with no ORCH_URL): a closed pipe is its answer, not the test's crash.
    ignoreBrokenPipes
    if let input { try? inPipe.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    // Read both pipes at once so neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self)
    )
}

/// Runs the git CLI (the reference implementation, used only to set up and check fixtures).
/// - Parameters:
///   - arguments: git's arguments.
///   - directory: where to run it.
/// - Throws: ``CommandFailed`` when git exits non-zero.
@discardableResult
public func git(_ arguments: String..., in directory: String) throws -> String {
    let result = try run("git", arguments, in: directory, environment: gitEnvironment)
    guard result.status == 0 else { throw CommandFailed(command: ["git"] + arguments, result: result) }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A fixed identity and no user config, so fixtures are the same on every machine.
public let gitEnvironment: [String: String] = [
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
]

/// ``run(_:_:in:environment:input:)`` on a thread of its own, so an async test
/// that waits for a long-running program does not hold one of the few threads
/// the concurrency runtime has (a server in the same test needs them).
/// - Parameters: as ``run(_:_:in:environment:input:)``.
/// - Throws: when the program cannot start.
public func runDetached(
    _ executable: String, _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], input: String? = nil
) async throws -> CommandResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try run(executable, arguments, in: directory, environment: environment, input: input) })
        }
    }
}
