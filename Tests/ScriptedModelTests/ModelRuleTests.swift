import Foundation
import Testing
@testable import ScriptedModel

/// The rules mode: the latest instruction picks the commands, one a turn.
@Suite struct ModelRuleTests {
    static let rules = [
        ModelRule(match: "Set (\\S+) to (\\w+)", bash: "echo $2 > $1"),
        ModelRule(match: "Orch-Task: (T-[0-9]+)", bash: "git commit -qm 'Do $1' -m 'Orch-Task: $1'"),
    ]

    @Test func everyMatchingRuleRunsInOrderOneATurnThenTheTurnEnds() {
        let script = ModelScript([:], rules: ["*": Self.rules], finally: .text("Done."))
        let instruction: [String: Any] = ["role": "user", "content": "Stop hook feedback:\nNext task T-0002: Set shared.txt to beta\n\nOrch-Task: T-0002"]
        let toolUse: [String: Any] = ["role": "assistant", "content": [["type": "tool_use"]]]
        let toolResult: [String: Any] = ["role": "user", "content": [["type": "tool_result", "content": "ok"]]]
        #expect(script.step(key: "sk-any", messages: [instruction]) == .bash("echo beta > shared.txt"))
        #expect(script.step(key: "sk-any", messages: [instruction, toolUse, toolResult]) == .bash("git commit -qm 'Do T-0002' -m 'Orch-Task: T-0002'"))
        #expect(script.step(key: "sk-any", messages: [instruction, toolUse, toolResult, toolUse, toolResult]) == .text("Done."))
        // A prompt that matches nothing ends the turn at once.
        #expect(script.step(key: "sk-any", messages: [["role": "user", "content": [["type": "text", "text": "Hello"]]]]) == .text("Done."))
    }

    @Test func aScriptFileIsReadAndItsErrorsNameTheFieldNotTheKey() throws {
        let good = #"{"keys": {"sk-secret-1": {"rules": [{"match": "x", "bash": "true"}]}, "sk-secret-2": {"steps": [{"text": "hi"}]}}}"#
        let script = try ModelScript(json: Data(good.utf8), file: "m.json")
        #expect(script.rules["sk-secret-1"]?.count == 1 && script.steps["sk-secret-2"] == [.text("hi")])
        let bad = #"{"keys": {"sk-secret-1": {"rules": [{"match": "(", "bash": "true"}]}}}"#
        #expect {
            try ModelScript(json: Data(bad.utf8), file: "m.json")
        } throws: { error in
            let message = "\(error)"
            return message.contains("m.json") && message.contains("rules[0].match") && !message.contains("sk-secret")
        }
    }

    @Test func theDemoScriptParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try ModelScript(json: Data(contentsOf: root.appendingPathComponent("demo/model.json")), file: "demo/model.json")
        #expect(script.rules["*"]?.isEmpty == false)
    }
}
