import Foundation
import Testing
import TestSupport
@testable import OrchCore

/// Issue #15's custody of OAuth logins: a refresh in an instance's home is kept, given to the file's next holder and
/// written back to the file; anything that is not a fresher login (older, garbage, a link) changes nothing.
@Suite struct CredentialCustodyTests {
    static func login(_ access: String, refresh: String, expiresAt: Double) -> String {
        #"{"claudeAiOauth": {"accessToken": "\#(access)", "refreshToken": "\#(refresh)", "expiresAt": \#(Int(expiresAt)), "scopes": ["user:inference"]}}"#
    }

    struct Setup {
        let dir = ScratchDirectory()
        let layout: StateLayout
        let file: CredentialFile
        let home: InstanceHome

        init() throws {
            try Fixtures.write(["creds/team.json": CredentialCustodyTests.login("a1", refresh: "r1", expiresAt: 1_000)], in: dir.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: dir("creds", "team.json"))
            layout = StateLayout(root: dir("state"))
            file = try CredentialFile.load(path: dir("creds", "team.json"))
            home = InstanceHome(instance: .worker(1), layout: layout)
            try home.write(credential: file, prompt: "p", custody: CredentialCustody(layout: layout))
        }

        /// Claude Code refreshing the login, as it rewrites the home's copy.
        func refresh(_ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: home.path + "/" + InstanceHome.credentialsFile))
        }

        var source: String { (try? String(contentsOfFile: file.path, encoding: .utf8)) ?? "" }
    }

    @Test func aRefreshIsKeptGivenToTheNextHolderAndWrittenBack() throws {
        let setup = try Setup()
        let custody = CredentialCustody(layout: setup.layout)
        // The user's file has a field of its own; the container's copy one orch must not carry back.
        var source = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: setup.file.path))) as! [String: Any]
        source["mcpOAuth"] = ["server": "kept"]
        try JSONSerialization.data(withJSONObject: source).write(to: URL(fileURLWithPath: setup.file.path))
        try setup.refresh(#"{"claudeAiOauth": {"accessToken": "a2", "refreshToken": "r2", "expiresAt": 2000}, "planted": "x"}"#)
        #expect(try custody.capture(from: setup.home, file: setup.file))
        #expect(setup.source.contains("r2") && setup.source.contains("kept") && !setup.source.contains("planted"), "written back to the file: \(setup.source)")
        let mode = try FileManager.default.attributesOfItem(atPath: setup.file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the file keeps its mode")
        let kept = try #require(FileManager.default.subpaths(atPath: setup.layout.credentialCopies)?.first)
        let keptMode = try FileManager.default.attributesOfItem(atPath: setup.layout.credentialCopies + "/" + kept)[.posixPermissions] as? Int
        #expect(keptMode == 0o600)
        // The next holder (another instance, a later server) gets the refreshed login.
        let next = InstanceHome(instance: .worker(2), layout: setup.layout)
        try next.write(credential: setup.file, prompt: "p", custody: custody)
        let given = try String(contentsOfFile: next.path + "/" + InstanceHome.credentialsFile, encoding: .utf8)
        #expect(given.contains("r2") && !given.contains("r1"))
        // Taking the same login again changes nothing.
        #expect(try custody.capture(from: setup.home, file: setup.file) == false)
    }

    @Test func withoutWriteBackOrAWritableFileOnlyTheCopyIsKept() throws {
        let setup = try Setup()
        let custody = CredentialCustody(layout: setup.layout, writeBack: false)
        try setup.refresh(Self.login("a2", refresh: "r2", expiresAt: 2_000))
        #expect(try custody.capture(from: setup.home, file: setup.file))
        #expect(setup.source.contains("r1"), "the file is left as it was")
        #expect(custody.freshest(setup.file).map { String(decoding: $0, as: UTF8.self).contains("r2") } == true)
    }

    @Test func anOlderLoginGarbageOrALinkChangeNothing() throws {
        let setup = try Setup()
        let custody = CredentialCustody(layout: setup.layout)
        try setup.refresh(Self.login("a2", refresh: "r2", expiresAt: 2_000))
        #expect(try custody.capture(from: setup.home, file: setup.file))
        let century = (Date().timeIntervalSince1970 + 100 * 365 * 86_400) * 1000
        for hostile in [Self.login("old", refresh: "old", expiresAt: 1_500), Self.login("forever", refresh: "forever", expiresAt: century),
                        "not json", #"{"claudeAiOauth": {"accessToken": ""}}"#,
                        #"{"env": {"ANTHROPIC_API_KEY": "sk"}}"#, String(repeating: "x", count: 70_000)] {
            try setup.refresh(hostile)
            #expect(try custody.capture(from: setup.home, file: setup.file) == false, "\(hostile.prefix(40))")
        }
        // A link in the home to a file elsewhere that looks fresher: not followed.
        try Fixtures.write(["elsewhere.json": Self.login("link", refresh: "link", expiresAt: 9_000)], in: setup.dir.path)
        let credentials = setup.home.path + "/" + InstanceHome.credentialsFile
        try FileManager.default.removeItem(atPath: credentials)
        try FileManager.default.createSymbolicLink(atPath: credentials, withDestinationPath: setup.dir("elsewhere.json"))
        #expect(try custody.capture(from: setup.home, file: setup.file) == false)
        #expect(setup.source.contains("r2") && !setup.source.contains("link"))
    }

    @Test func apiKeyFilesAreNotKept() throws {
        let dir = ScratchDirectory()
        try Fixtures.write(["key.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-x"}}"#], in: dir.path)
        let layout = StateLayout(root: dir("state"))
        let file = try CredentialFile.load(path: dir("key.json"))
        let home = InstanceHome(instance: .manager, layout: layout)
        try home.write(credential: file, prompt: "p", custody: CredentialCustody(layout: layout))
        #expect(try CredentialCustody(layout: layout).capture(from: home, file: file) == false)
        #expect(!FileManager.default.fileExists(atPath: layout.credentialCopies))
    }
}
