import Foundation

/// A temporary directory for one test, removed when the value is released.
public final class ScratchDirectory: @unchecked Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates a fresh directory under the system's temporary folder.
    /// - Parameters:
    ///   - label: a word that shows up in the folder's name, to find leftovers.
    public init(_ label: String = "orch-test") {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed under \(base)")
        path = String(cString: made!)
    }

    deinit {
        if ProcessInfo.processInfo.environment["ORCH_KEEP_SCRATCH"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// A path inside the directory.
    /// - Parameters:
    ///   - components: path components to append.
    public func callAsFunction(_ components: String...) -> String {
        components.reduce(path) { ($0 as NSString).appendingPathComponent($1) }
    }
}

/// Runs `body`, then `cleanup` whether or not it threw (`defer` cannot await).
/// - Parameters:
///   - body: the test's work.
///   - cleanup: what must run afterwards.
/// - Throws: what `body` throws.
public func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}
