import Foundation

/// Takes secrets out of text that leaves orch's hands (a merge check's output
/// goes to a worker and into git): every secret orch knows of by value, and
/// anything shaped like a token by pattern.
public struct SecretScrubber: Sendable {
    private let secrets: [String]

    static let replacement = "[secret]"
    private static let patterns = [
        #"sk-ant-[A-Za-z0-9_\-]{8,}"#,
        #"gh[pousr]_[A-Za-z0-9]{20,}"#,
        #"(?i)bearer\s+[A-Za-z0-9._~+/=\-]{8,}"#,
        #"(?i)((?:token|password|passwd|secret|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)[^\s\"']{4,}"#,
    ]

    /// - Parameters:
    ///   - secrets: values to remove wherever they appear (shorter than 8 characters are ignored: they would blank ordinary words).
    public init(secrets: [String] = []) {
        self.secrets = Set(secrets.filter { $0.count >= 8 }).sorted { $0.count > $1.count }
    }

    public func scrub(_ text: String) -> String {
        var result = text
        for secret in secrets { result = result.replacingOccurrences(of: secret, with: Self.replacement) }
        for pattern in Self.patterns {
            guard let expression = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(result.startIndex..., in: result)
            let template = expression.numberOfCaptureGroups > 0 ? "$1" + Self.replacement : Self.replacement
            result = expression.stringByReplacingMatches(in: result, range: range, withTemplate: template)
        }
        return result
    }
}

extension SecretScrubber {
    /// Every string value of the credential files (keys, tokens, refresh tokens) and the given extras.
    /// A file that cannot be read adds nothing: the patterns still apply.
    public init(credentialFiles paths: [String], extras: [String] = []) {
        var secrets = extras
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path), let value = try? JSONDecoder().decode(JSONValue.self, from: data) else { continue }
            secrets += Self.strings(in: value)
        }
        self.init(secrets: secrets)
    }

    private static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .object(let fields): fields.values.flatMap(strings(in:))
        case .array(let items): items.flatMap(strings(in:))
        default: []
        }
    }
}
