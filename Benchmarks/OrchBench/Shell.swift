import Foundation

/// Runs a program and returns its standard output; the benchmark's fixtures
/// and its git CLI reference both go through here.
@discardableResult
func sh(_ executable: String, _ arguments: [String], in directory: String? = nil, allowFailure: Bool = false) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging([
        "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
    ]) { $1 }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { fatalError("cannot run \(executable): \(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus != 0 && !allowFailure {
        fatalError("\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

func git(_ arguments: String..., in directory: String, allowFailure: Bool = false) {
    sh("git", arguments, in: directory, allowFailure: allowFailure)
}

/// Seconds taken by `body`, wall clock.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// A repository on `main` with one commit holding a `PROJECT_DIRECTION.md`, as `orch serve` needs.
func seedRepository(at path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    git("init", "-q", "-b", "main", in: path)
    try "# Bench\n".write(toFile: "\(path)/PROJECT_DIRECTION.md", atomically: true, encoding: .utf8)
    git("add", "-A", in: path)
    git("commit", "-q", "-m", "seed", in: path)
}
