import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a program to completion and returns its standard output.
/// - Parameters:
///   - program: the program's name, looked up in PATH.
///   - arguments: its arguments.
///   - allowFailure: return the output even when it exits non-zero.
/// - Throws: ``RuntimeError`` when the program is missing or fails.
@discardableResult
func runCommand(_ program: String, _ arguments: [String], allowFailure: Bool = false) async throws -> String {
    let result: ExecutionResult<Void, StringOutput<UTF8>, StringOutput<UTF8>>
    do {
        result = try await Subprocess.run(
            program.contains("/") ? .path(FilePath(program)) : .name(program), arguments: Arguments(arguments),
            output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
    } catch {
        throw RuntimeError(code: .programMissing, command: [program] + arguments, message: "cannot run \(program): \(error)")
    }
    let output = result.standardOutput
    if !result.terminationStatus.isSuccess && !allowFailure {
        let stderr = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        throw RuntimeError(code: .commandFailed, command: [program] + arguments, message: stderr.isEmpty ? "\(result.terminationStatus)" : stderr)
    }
    return output
}
