import Foundation

extension ModelScript {
    /// Reads a script from JSON, for the `scripted-model` executable:
    ///
    /// ```json
    /// {"keys": {"sk-worker-1": {"rules": [{"match": "Orch-Task: (T-[0-9]+)", "bash": "…"}]},
    ///           "sk-other": {"steps": [{"bash": "git commit …"}, {"text": "Ready."}]}},
    ///  "finally": "Done."}
    /// ```
    /// - Parameters:
    ///   - data: the JSON.
    ///   - file: its name, for errors.
    /// - Throws: ``ModelScriptError`` naming the file and what is wrong.
    public init(json data: Data, file: String) throws {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelScriptError(message: "\(file): not a JSON object")
        }
        guard let keys = root["keys"] as? [String: [String: Any]] else {
            throw ModelScriptError(message: "\(file): field keys: expected an object of API keys")
        }
        var steps: [String: [ModelStep]] = [:]
        var rules: [String: [ModelRule]] = [:]
        for (key, entry) in keys {
            // Keys are secrets in real use: errors name their position, not their value.
            let name = "keys[#\(keys.keys.sorted().firstIndex(of: key)! + 1)]"
            if let list = entry["rules"] as? [[String: String]] {
                rules[key] = try list.enumerated().map { index, rule in
                    guard let match = rule["match"], let bash = rule["bash"] else {
                        throw ModelScriptError(message: "\(file): field \(name).rules[\(index)]: expected {\"match\", \"bash\"}")
                    }
                    guard (try? NSRegularExpression(pattern: match)) != nil else {
                        throw ModelScriptError(message: "\(file): field \(name).rules[\(index)].match: not a regular expression: \(match)")
                    }
                    return ModelRule(match: match, bash: bash)
                }
            }
            if let list = entry["steps"] as? [[String: Any]] {
                steps[key] = try list.enumerated().map { index, step in
                    if let bash = step["bash"] as? String { return .bash(bash) }
                    if let text = step["text"] as? String { return .text(text) }
                    // A reset given as seconds from now, so a script file stays valid.
                    if let seconds = step["rateLimitForSeconds"] as? Int { return .rateLimit(resetAt: Int(Date().timeIntervalSince1970) + seconds) }
                    throw ModelScriptError(message: "\(file): field \(name).steps[\(index)]: expected {\"bash\"}, {\"text\"} or {\"rateLimitForSeconds\"}")
                }
            }
        }
        self.init(steps, rules: rules, finally: .text(root["finally"] as? String ?? "Done."))
    }
}

/// A script file the scripted model cannot use.
public struct ModelScriptError: Error, CustomStringConvertible {
    /// What is wrong, naming the file and field.
    public let message: String
    /// The message.
    public var description: String { message }
}
