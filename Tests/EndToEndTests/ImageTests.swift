import Foundation
import Testing
import TestSupport

/// `orch image build` as a user runs it, and `orch serve` refusing an image
/// whose orch speaks another protocol, or that has no orch inside.
@Suite(.serialized) struct ImageTests {
    static let base = "orch-claude-test-base:latest"

    @Test func imageBuildPutsOrchAndItsHooksInsideLabelledAndASecondBuildIsANoOp() async throws {
        let claude = try #require(ProcessInfo.processInfo.environment["ORCH_CLAUDE"], "scripts/test sets ORCH_CLAUDE")
        let tag = "orch-imagetest-\(UUID().uuidString.prefix(6).lowercased()):latest"
        defer { _ = try? run("docker", ["rmi", "-f", tag]) }
        let first = try await runDetached(orchExecutable, ["image", "build", "--from", Self.base, "--tag", tag, "--claude", claude])
        #expect(first.status == 0 && first.stdout.contains("built \(tag)") && first.stdout.contains("protocol 3"), "\(first.stderr)\(first.stdout)")
        let labels = try run("docker", ["image", "inspect", "--format", "{{index .Config.Labels \"org.orch.protocol\"}} {{index .Config.Labels \"org.orch.build\"}}", tag])
        let fields = labels.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.count == 2 && fields[0] == "3" && fields[1].count == 16, "\(labels.stdout)")
        let inside = try run("docker", ["run", "--rm", tag, "sh", "-c",
                                        "test -x /opt/orch/hooks/forward && orch hook --help >/dev/null && sha256sum /usr/local/bin/orch /usr/local/bin/orch-hook "
                                        + #"&& grep -c '"/usr/local/bin/orch-hook Stop"' /etc/claude-code/managed-settings.json"#])
        let here = try run("sha256sum", [orchExecutable, forwarderExecutable].map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
        let sums = { (text: String) in text.split(separator: "\n").prefix(2).map { $0.prefix(64) } }
        #expect(inside.status == 0 && sums(inside.stdout) == sums(here.stdout), "this orch and its forwarder inside: \(inside.stderr)")
        #expect(inside.stdout.hasSuffix("1\n"), "the managed settings run orch-hook: \(inside.stdout)")
        let second = try await runDetached(orchExecutable, ["image", "build", "--from", Self.base, "--tag", tag, "--claude", claude])
        #expect(second.status == 0 && second.stdout.contains("\(tag) is current"), "\(second.stdout)")

        // Without --claude the binary is fetched from PyPI's wheel (cached as scripts/fetch-claude caches it):
        // the same bytes as ORCH_CLAUDE, so the same build hash.
        let fetchedTag = "orch-imagetest-fetched-\(UUID().uuidString.prefix(6).lowercased()):latest"
        defer { _ = try? run("docker", ["rmi", "-f", fetchedTag]) }
        let fetched = try await runDetached(orchExecutable, ["image", "build", "--from", Self.base, "--tag", fetchedTag])
        #expect(fetched.status == 0 && fetched.stderr.contains("fetching Claude Code"), "\(fetched.stderr)")
        let fetchedBuild = try run("docker", ["image", "inspect", "--format", "{{index .Config.Labels \"org.orch.build\"}}", fetchedTag])
        #expect(fetchedBuild.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == fields.last, "the fetched claude is ORCH_CLAUDE's")

        let notLinux = try await runDetached(orchExecutable, ["image", "build", "--tag", tag, "--claude", claude, "--orch", "/etc/hostname"])
        #expect(notLinux.status == 2 && notLinux.stderr.contains("--orch /etc/hostname is not a Linux executable"), "\(notLinux.stderr)")
        let noForwarder = try await runDetached(orchExecutable, ["image", "build", "--tag", tag, "--claude", claude, "--orch-hook", "/nonexistent/orch-hook"])
        #expect(noForwarder.status == 2 && noForwarder.stderr.contains("--orch-hook /nonexistent/orch-hook"), "\(noForwarder.stderr)")
        let missing = try await runDetached(orchExecutable, ["image", "build", "--tag", tag, "--claude", "/nonexistent/claude"])
        #expect(missing.status == 2 && missing.stderr.contains("--claude /nonexistent/claude"), "\(missing.stderr)")
    }

    @Test func serveRefusesAnImageWithoutOrchOrOfAnotherProtocolAndStartsNothing() throws {
        let old = "orch-imagetest-protocol2:latest"
        let context = ScratchDirectory()
        try Fixtures.write(["Dockerfile": "FROM \(Self.base)\nLABEL org.orch.protocol=\"2\"\n"], in: context.path)
        try #require(try run("docker", ["build", "-q", "-t", old, context.path]).status == 0)
        defer { _ = try? run("docker", ["rmi", "-f", old]) }
        for (image, message) in [(Self.base, "image \(Self.base) (field image) has no orch inside"),
                                 (old, "image \(old) (field image) carries an orch that speaks protocol 2; this orch speaks 3")] {
            let dir = ScratchDirectory()
            var fields = try ServeTests.validSetup(dir)
            fields["image"] = "\"\(image)\""
            let refused = try ServeTests.serve(dir, fields)
            #expect(refused.status == 2 && refused.stderr.contains(message) && refused.stderr.contains("orch image build"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir("state")), "nothing started")
        }
    }
}
