import Foundation
import GitKit
import Testing
import TestSupport

/// Clones over git's smart HTTP protocol from a real `git http-backend`, served on
/// loopback by Python's CGI server (both from Debian's packages).
@Suite struct HTTPCloneTests {
    @Test func clonesOverSmartHTTP() throws {
        let backend = "/usr/lib/git-core/git-http-backend"
        guard FileManager.default.isExecutableFile(atPath: backend) else {
            Issue.record("\(backend) is missing (Debian's git package installs it)")
            return
        }
        let dir = ScratchDirectory()
        // Python's CGI server runs scripts as nobody when started as root.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try Fixtures.repository(at: dir("seed"), files: ["hello.txt": "over http\n"])
        try git("clone", "-q", "--bare", dir("seed"), dir("repos", "r.git"), in: dir.path)
        try run("chmod", ["-R", "a+rX", dir("repos")])
        try FileManager.default.createDirectory(atPath: dir("www", "cgi-bin"), withIntermediateDirectories: true)
        try """
            #!/bin/sh
            export GIT_PROJECT_ROOT=\(dir("repos")) GIT_HTTP_EXPORT_ALL=1 HOME=/nonexistent
            export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
            exec \(backend)
            """.write(toFile: dir("www", "cgi-bin", "git"), atomically: true, encoding: .utf8)
        try run("chmod", ["-R", "a+rX", dir("www")])
        try run("chmod", ["755", dir("www", "cgi-bin", "git")])

        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-u", "-m", "http.server", "--cgi", "--bind", "127.0.0.1", "0"]
        server.currentDirectoryURL = URL(fileURLWithPath: dir("www"))
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer {
            // SIGTERM can arrive blocked in a child of a test runner; SIGKILL cannot.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        // "Serving HTTP on 127.0.0.1 port 38291 (http://127.0.0.1:38291/) ..."
        let banner = String(decoding: out.fileHandleForReading.availableDataWaiting(upTo: 5), as: UTF8.self)
        let port = try #require(banner.split(separator: " ").drop { $0 != "port" }.dropFirst().first.flatMap { Int($0) }, "banner: \(banner)")

        let clone = try Repository.clone(from: "http://127.0.0.1:\(port)/cgi-bin/git/r.git", to: dir("clone"))
        let head = try #require(try clone.referenceTarget("HEAD"))
        #expect(try clone.readFile("hello.txt", at: head) == Data("over http\n".utf8))
        #expect(head.hex == (try git("rev-parse", "main", in: dir("seed"))))
    }
}

extension FileHandle {
    /// Reads what arrives within `seconds`, stopping at the first chunk.
    func availableDataWaiting(upTo seconds: Double) -> Data {
        let deadline = Date().addingTimeInterval(seconds)
        var data = Data()
        while data.isEmpty && Date() < deadline {
            data = availableData
        }
        return data
    }
}
