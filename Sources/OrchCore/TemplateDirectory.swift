import Foundation

/// Finds orch's `templates/` folder: `$ORCH_TEMPLATES`, or a `templates/` (or
/// `share/orch/templates/`) beside or above the running executable, which covers
/// a source checkout's `.build/…/orch` and an installed `prefix/bin/orch`.
public struct TemplateDirectory: Sendable {
    /// The folder's path.
    public let path: String

    /// - Parameters:
    ///   - path: a folder holding orch's templates.
    public init(path: String) {
        self.path = path
    }

    /// Locates the templates.
    /// - Parameters:
    ///   - environment: the process environment (for `ORCH_TEMPLATES`).
    /// - Throws: ``OrchError`` naming the places looked in when none holds them.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TemplateDirectory {
        let marker = "PROJECT_DIRECTION.md"
        var candidates: [String] = []
        if let explicit = environment["ORCH_TEMPLATES"] { candidates.append(explicit) }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        while true {
            candidates.append(directory.appendingPathComponent("templates").path)
            candidates.append(directory.appendingPathComponent("share/orch/templates").path)
            if directory.path == "/" { break }
            directory.deleteLastPathComponent()
        }
        for candidate in candidates where FileManager.default.fileExists(atPath: (candidate as NSString).appendingPathComponent(marker)) {
            return TemplateDirectory(path: candidate)
        }
        throw OrchError.failure("orch's templates/ folder was not found; set ORCH_TEMPLATES to it (looked in \(candidates.prefix(4).joined(separator: ", ")), …)")
    }

    /// A template's text with `{{name}}` placeholders filled in.
    /// - Parameters:
    ///   - name: the file name in the folder.
    ///   - values: placeholder → value.
    /// - Throws: ``OrchError`` when the template cannot be read.
    public func render(_ name: String, _ values: [String: String] = [:]) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        guard var text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw OrchError.failure("cannot read template \(file)")
        }
        for (key, value) in values {
            text = text.replacingOccurrences(of: "{{\(key)}}", with: value)
        }
        return text
    }
}
