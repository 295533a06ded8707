import Foundation
import OrchCore
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Git's smart HTTP protocol over orch's clone, served by `git http-backend`:
/// how an instance gets its repository and hands its commits back, over the
/// same channel as its hooks, wherever it runs. The caller has already
/// checked the instance's token; this decides what that instance may do.
///
/// - Only the three smart-protocol paths are served (no file of the clone is
///   read by name), each to one service.
/// - A push may move only the caller's own branch, only forward
///   (`receive.denyNonFastForwards`, `receive.denyDeletes`, and a pre-receive
///   hook under `run/` that refuses every other ref); its objects are checked
///   (`receive.fsckObjects`) and capped in size.
/// - git runs with orch's settings only: no global or system config, and an
///   environment of its own (nothing of the server's, e.g. credentials, leaks).
///
/// ```swift
/// let backend = GitHTTPBackend(layout: layout)
/// try backend.installHooks()
/// let reply = try await backend.serve(request, as: .worker(2))
/// ```
public struct GitHTTPBackend: Sendable {
    /// One request, as the HTTP layer read it.
    public struct Request: Sendable {
        /// `GET` or `POST`.
        public var method: String
        /// The path under the clone: `info/refs`, `git-upload-pack` or `git-receive-pack`.
        public var path: String
        /// The query string (`service=git-upload-pack`).
        public var query: String
        /// The request's headers that git reads.
        public var contentType: String?
        public var contentEncoding: String?
        public var gitProtocol: String?
        /// The body.
        public var body: [UInt8]

        public init(method: String, path: String, query: String, contentType: String? = nil, contentEncoding: String? = nil,
                    gitProtocol: String? = nil, body: [UInt8] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.contentType = contentType
            self.contentEncoding = contentEncoding
            self.gitProtocol = gitProtocol
            self.body = body
        }
    }

    /// git's answer, as CGI gives it.
    public struct Reply: Sendable, Equatable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// The largest push accepted (git's `receive.maxInputSize` and the request body).
    public static let maximumPush = 256 << 20
    /// The largest answer (a clone's pack) git may give: answers are held in memory, not streamed.
    public static let maximumReply = 1 << 30
    /// git processes at once: the rest wait, so a container opening many connections cannot start many.
    public static let concurrency = 4
    /// The path of the clone under the channel's base URL.
    public static let urlPath = "/git/repo.git"

    let layout: StateLayout
    private let gate = Gate(slots: Self.concurrency)

    public init(layout: StateLayout) {
        self.layout = layout
    }

    /// The branch an instance may push, as a full ref name.
    public static func pushRef(of instance: InstanceName) -> String { "refs/heads/\(instance.branch)" }

    /// Writes the pre-receive hook under `run/` (where no container reaches).
    /// - Throws: when it cannot be written.
    public func installHooks() throws {
        try FileManager.default.createDirectory(atPath: layout.gitHooks, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let hook = layout.gitHooks + "/pre-receive"
        try Data(Self.preReceive.utf8).write(to: URL(fileURLWithPath: hook), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: hook)
    }

    // An empty ORCH_PUSH_REF matches no ref: a receive-pack started any other way takes nothing.
    static let preReceive = """
        #!/bin/sh
        # orch: an instance may move only its own branch.
        status=0
        while read -r old new ref; do
          if [ -z "$ORCH_PUSH_REF" ] || [ "$ref" != "$ORCH_PUSH_REF" ]; then
            echo "orch: this instance may push only ${ORCH_PUSH_REF:-nothing}, not $ref" >&2
            status=1
          fi
        done
        exit $status

        """

    /// Whether orch serves this path and method at all (everything else is a 404 before git runs).
    public static func serves(method: String, path: String, query: String) -> Bool {
        switch (method, path) {
        case ("GET", "info/refs"): return query == "service=git-upload-pack" || query == "service=git-receive-pack"
        case ("POST", "git-upload-pack"), ("POST", "git-receive-pack"): return true
        default: return false
        }
    }

    /// Runs `git http-backend` for one request of `instance`.
    /// - Throws: ``RuntimeError`` when git cannot run or answers nothing CGI-shaped.
    public func serve(_ request: Request, as instance: InstanceName) async throws -> Reply {
        guard Self.serves(method: request.method, path: request.path, query: request.query) else {
            return Reply(status: 404, headers: ["Content-Type": "text/plain"], body: Array("not a git smart-HTTP path\n".utf8))
        }
        await gate.enter()
        defer { Task { await gate.leave() } }
        let result: ExecutionResult<Void, BytesOutput, StringOutput<UTF8>>
        do {
            result = try await Subprocess.run(
                .name("git"), arguments: ["http-backend"], environment: .custom(environment(for: request, instance: instance)),
                input: .array(request.body), output: .bytes(limit: Self.maximumReply), error: .string(limit: 64 << 10))
        } catch {
            throw RuntimeError(code: .programMissing, command: ["git", "http-backend"], message: "cannot run git http-backend: \(error)")
        }
        guard let reply = Self.parse(cgi: result.standardOutput) else {
            let stderr = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw RuntimeError(code: .commandFailed, command: ["git", "http-backend"], message: stderr.isEmpty ? "\(result.terminationStatus)" : stderr)
        }
        return reply
    }

    func environment(for request: Request, instance: InstanceName) -> [Environment.Key: String] {
        let settings: [(String, String)] = [
            ("core.hooksPath", layout.gitHooks), ("http.uploadpack", "true"), ("http.receivepack", "true"),
            ("receive.denyNonFastForwards", "true"), ("receive.denyDeletes", "true"), ("receive.fsckObjects", "true"),
            ("receive.autogc", "false"), ("receive.maxInputSize", String(Self.maximumPush)), ("receive.advertisePushOptions", "false"),
            ("transfer.hideRefs", "refs/orch"), ("uploadpack.allowFilter", "false"), ("safe.directory", layout.clone),
        ]
        var environment: [Environment.Key: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": layout.run,
            "GIT_PROJECT_ROOT": layout.root, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": "/repo.git/\(request.path)",
            "REQUEST_METHOD": request.method, "QUERY_STRING": request.query, "REMOTE_USER": "\(instance)", "REMOTE_ADDR": "orch",
            "CONTENT_LENGTH": String(request.body.count), "ORCH_PUSH_REF": Self.pushRef(of: instance),
            "GIT_CONFIG_COUNT": String(settings.count),
        ]
        for (index, (key, value)) in settings.enumerated() {
            environment[.init(rawValue: "GIT_CONFIG_KEY_\(index)")!] = key
            environment[.init(rawValue: "GIT_CONFIG_VALUE_\(index)")!] = value
        }
        if let type = request.contentType { environment["CONTENT_TYPE"] = type }
        if let encoding = request.contentEncoding { environment["HTTP_CONTENT_ENCODING"] = encoding }
        if let version = request.gitProtocol, version.utf8.count < 128, version.allSatisfy({ $0.isASCII && !$0.isNewline }) {
            environment["GIT_PROTOCOL"] = version
        }
        return environment
    }

    /// Splits CGI output into its status, headers and body.
    static func parse(cgi output: [UInt8]) -> Reply? {
        var end: Int?
        var bodyStart = 0
        for index in output.indices where output[index] == UInt8(ascii: "\n") {
            if index + 1 < output.count, output[index + 1] == UInt8(ascii: "\n") { end = index; bodyStart = index + 2; break }
            if index + 2 < output.count, output[index + 1] == UInt8(ascii: "\r"), output[index + 2] == UInt8(ascii: "\n") {
                end = index; bodyStart = index + 3; break
            }
        }
        guard let end else { return nil }
        var status = 200
        var headers: [String: String] = [:]
        for line in String(decoding: output[..<end], as: UTF8.self).split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.lowercased() == "status" {
                status = Int(value.prefix(3)) ?? 500
            } else {
                headers[name] = value
            }
        }
        return Reply(status: status, headers: headers, body: Array(output[bodyStart...]))
    }
}

/// A counting semaphore for async callers, first come first served.
actor Gate {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) { free = slots }

    func enter() async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
