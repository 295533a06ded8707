import Foundation
import OrchCore
import Testing
import TestSupport

@Suite struct OrchestratorConfigTests {
    func parse(_ text: String) throws -> OrchestratorConfig {
        try OrchestratorConfig.parse(Data(text.utf8), file: "/cfg/orchestrator.json")
    }

    @Test func readsTheRequiredFieldsAndDefaultsAndSkipsCommentLines() throws {
        let config = try parse("""
            // a comment
            {
              "repositoryUrl": "https://example.com/r.git",
                // "image": "commented out",
              "workerCount": 3,
              "claudeConfigs": "~/creds/*.json"
            }
            """)
        #expect(config.repositoryURL == "https://example.com/r.git")
        #expect(config.branch == "main")
        #expect(config.workerCount == 3)
        #expect(config.instanceCount == 4)
        #expect(config.image == "orch-claude:latest")
        #expect(config.network == "bridge")
        #expect(config.dashboardPort == 7420)
        #expect(config.environment.isEmpty)
        #expect(config.resources == nil)
    }

    @Test func readsTheOptionalFields() throws {
        let config = try parse("""
            {"repositoryUrl": "/r", "branch": "trunk", "workerCount": 64, "claudeConfigs": "/c/*",
             "image": "orch-claude-test:latest", "network": "host", "env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"},
             "stateDir": "/s", "dashboardPort": 0, "resources": {"cpus": 1.5, "memory": "4g"}}
            """)
        #expect(config.branch == "trunk")
        #expect(config.network == "host")
        #expect(config.environment == ["ANTHROPIC_BASE_URL": "http://127.0.0.1:9"])
        #expect(config.stateDirectory == "/s")
        #expect(config.dashboardPort == 0)
        #expect(config.resources?.cpus == 1.5)
        #expect(config.resources?.memory == "4g")
        #expect(config.resources?.pids == 2_048, "a process limit even when the config names none")
    }

    @Test(arguments: [
        (#"{"workerCount": 1, "claudeConfigs": "x"}"#, "field repositoryUrl: missing"),
        (#"{"repositoryUrl": "r", "claudeConfigs": "x"}"#, "field workerCount: missing"),
        (#"{"repositoryUrl": "r", "workerCount": 0, "claudeConfigs": "x"}"#, "field workerCount: expected a whole number from 1 to 64, found 0"),
        (#"{"repositoryUrl": "r", "workerCount": 65, "claudeConfigs": "x"}"#, "from 1 to 64, found 65"),
        (#"{"repositoryUrl": "r", "workerCount": 2.5, "claudeConfigs": "x"}"#, "found 2.5"),
        (#"{"repositoryUrl": "r", "workerCount": "3", "claudeConfigs": "x"}"#, "field workerCount: expected a whole number from 1 to 64, found a string"),
        (#"{"repositoryUrl": "r", "workerCount": true, "claudeConfigs": "x"}"#, "found a boolean"),
        (#"{"repositoryUrl": 7, "workerCount": 1, "claudeConfigs": "x"}"#, "field repositoryUrl: expected a string, found a number"),
        (#"{"repositoryUrl": "r", "workerCount": 1}"#, "field claudeConfigs: missing"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "workers": 3}"#, "field workers: unknown field"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "env": {"A": 1}}"#, "field env.A: expected a string"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "env": []}"#, "field env: expected an object"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "dashboardPort": 70000}"#, "field dashboardPort"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "resources": {"memory": "lots"}}"#, "field resources.memory"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "resources": {"pids": 10}}"#, "field resources.pids"),
        (#"{"repositoryUrl": "r", "workerCount": 1, "claudeConfigs": "x", "resources": {"gpus": 1}}"#, "field resources.gpus: unknown"),
        (#"{"repositoryUrl": "proj/repo", "workerCount": 1, "claudeConfigs": "x"}"#, "field repositoryUrl: proj/repo is a relative path"),
        (#"{"repositoryUrl": "", "workerCount": 1, "claudeConfigs": "x"}"#, "field repositoryUrl: is empty"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"listen": "my-host"}}"#, "field channel.listen: expected an IPv4 or IPv6 address"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"port": 0}}"#, "field channel.port: expected a whole number from 1 to 65535"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"url": "unix:///run/orch.sock"}}"#, "field channel.url: expected http://HOST:PORT"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"url": "http://10.0.0.5"}}"#, "field channel.url: expected http://HOST:PORT"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"port": 7431, "url": "http://10.0.0.5:7432"}}"#, "field channel.url: names port 7432 but channel.port is 7431"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"socket": "/x"}}"#, "field channel.socket: unknown field"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "writeBackCredentials": "yes"}"#, "field writeBackCredentials: expected true or false"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"hooks": "native"}}"#, #"field channel.hooks: expected "command" or "http", found "native""#),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"hooks": "http", "url": "http://host.docker.internal:7431"}}"#,
         #"field channel.hooks: "http" needs the endpoint as an IP address, not host.docker.internal"#),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"timeout": 60}}"#, "field mergeCheck.command: missing; it is required"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "  "}}"#, "field mergeCheck.command: is empty"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "timeout": 0}}"#,
         "field mergeCheck.timeout: expected a positive number of seconds (at most 86400), found 0"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "timeout": -5}}"#, "field mergeCheck.timeout: expected a positive number"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "timeout": "15m"}}"#,
         "field mergeCheck.timeout: expected a positive number of seconds, found a string"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "batch": 0}}"#, "field mergeCheck.batch: expected a whole number from 1 to 64"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": "make"}"#, "field mergeCheck: expected an object, found a string"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "clean": "yes"}}"#, "field mergeCheck.clean: expected true or false"),
        (#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "retries": 2}}"#, "field mergeCheck.retries: unknown field"),
        (#"[1, 2]"#, "expected a JSON object at the top, found an array"),
        (#"{"repositoryUrl": "r",,}"#, "not valid JSON"),
    ])
    func everyProblemNamesTheFileAndTheField(text: String, message: String) {
        #expect {
            try parse(text)
        } throws: { error in
            let error = error as! OrchError
            return error.code == .usage && error.message.hasPrefix("/cfg/orchestrator.json: ") && error.message.contains(message)
        }
    }

    @Test func readsTheMergeCheck() throws {
        let config = try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "CI=1 swift test", "timeout": 900, "batch": 4}}"#)
        #expect(config.mergeCheck == MergeCheck(command: "CI=1 swift test", timeoutSeconds: 900, batchSize: 4))
        #expect(config.mergeCheck?.program == "swift", "the program to look for in the image, past an assignment")
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x"}"#).mergeCheck == nil)
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make"}}"#).mergeCheck?.timeoutSeconds == 900)
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "mergeCheck": {"command": "make", "clean": true}}"#).mergeCheck?.clean == true)
    }

    @Test func theScrubberTakesOutKnownSecretsAndTokenShapes() {
        let scrubber = SecretScrubber(secrets: ["a-known-secret-value", "short"])
        let text = scrubber.scrub("key a-known-secret-value; sk-ant-api03-abcdefghijkl; Authorization: Bearer abc.def.ghi123; token=hunter22 short")
        #expect(!text.contains("a-known-secret-value") && !text.contains("sk-ant-api03") && !text.contains("abc.def.ghi123") && !text.contains("hunter22"))
        #expect(text.contains("short"), "a short value is not taken for a secret")
    }

    @Test func readsTheChannel() throws {
        let config = try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"listen": "::1", "port": 7431, "url": "http://[::1]:7431/"}}"#)
        #expect(config.channel == ChannelSettings(listen: "::1", port: 7431, url: "http://[::1]:7431/"))
        #expect(ChannelAddress(url: "http://[::1]:7431/") == ChannelAddress(host: "::1", port: 7431))
        #expect(ChannelAddress(host: "::1", port: 7431).url == "http://[::1]:7431")
        #expect(ChannelAddress(url: "http://host.docker.internal:80")?.host == "host.docker.internal")
        #expect(ChannelAddress(url: "http://a:b@host:80") == nil)
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x"}"#).channel == ChannelSettings())
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x"}"#).channel.hooks == .command)
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x"}"#).writeBackCredentials)
        #expect(try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "writeBackCredentials": false}"#).writeBackCredentials == false)
        let http = try parse(#"{"repositoryUrl": "/r", "workerCount": 1, "claudeConfigs": "x", "channel": {"hooks": "http", "url": "http://10.0.0.5:7431"}}"#)
        #expect(http.channel == ChannelSettings(url: "http://10.0.0.5:7431", hooks: .http))
    }

    @Test func aMissingFileSaysHowToMakeOne() {
        #expect { try OrchestratorConfig.load(directory: "/nonexistent/cfg") } throws: {
            ($0 as! OrchError).message.contains("orch init --config /nonexistent/cfg")
        }
    }
}

@Suite struct CredentialFileTests {
    @Test func acceptsBothFormatsAndCountsOnePerInstance() throws {
        let dir = ScratchDirectory()
        try Fixtures.write([
            "creds/a.json": #"{"claudeAiOauth": {"accessToken": "sk-ant-oat-SECRET-A", "refreshToken": "r", "expiresAt": 1}}"#,
            "creds/b.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-api-SECRET-B"}}"#,
            "creds/c.json": #"{"env": {"CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat-SECRET-C"}}"#,
            "creds/notes.txt": "not matched",
        ], in: dir.path)
        let config = try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "/r", "workerCount": 2, "claudeConfigs": "\#(dir("creds"))/*.json"}"#.utf8), file: "cfg")
        let files = try config.credentialFiles(configFile: "cfg")
        #expect(files.map(\.name) == ["a.json", "b.json", "c.json"])
        #expect(files.map(\.kind) == [.oauth, .apiKey, .oauthToken])

        let tooMany = try OrchestratorConfig.parse(Data(#"{"repositoryUrl": "/r", "workerCount": 3, "claudeConfigs": "\#(dir("creds"))/*.json"}"#.utf8), file: "cfg")
        #expect { try tooMany.credentialFiles(configFile: "cfg") } throws: {
            ($0 as! OrchError).message.contains("matches 3 file(s); need at least 4")
        }
    }

    @Test func aBadFileIsNamedAndItsSecretNeverShown() throws {
        let dir = ScratchDirectory()
        let cases = [
            "broken.json": #"{"env": {"ANTHROPIC_API_KEY": "sk-ant-api-SECRET-X"#,
            "empty.json": #"{"env": {"ANTHROPIC_API_KEY": ""}}"#,
            "other.json": #"{"token": "sk-ant-api-SECRET-Y"}"#,
            "oauth.json": #"{"claudeAiOauth": {"refreshToken": "sk-ant-ort-SECRET-Z"}}"#,
        ]
        try Fixtures.write(cases, in: dir.path)
        for name in cases.keys {
            #expect {
                try CredentialFile.load(path: dir(name))
            } throws: { error in
                let message = (error as! OrchError).message
                return message.contains(dir(name)) && !message.contains("SECRET")
            }
        }
    }

    @Test func tildeIsTheHomeDirectory() {
        #expect(expandingTilde("~/x") == (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/x")
        #expect(expandingTilde("/a/~/b") == "/a/~/b")
    }
}
