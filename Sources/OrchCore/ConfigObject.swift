import Foundation

/// A config field that is wrong, named by its dotted path (`health.maxRestarts`);
/// ``OrchestratorConfig/parse(_:file:)`` adds the file.
struct ConfigFieldError: Error {
    let field: String
    let message: String
}

/// Any key of a JSON object, so that unknown ones are seen and refused by name.
struct ConfigKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One JSON object of the config, read field by field while it is decoded:
/// every problem is a ``ConfigFieldError`` naming the field and what was found
/// (never the value of a string, which may be a secret).
struct ConfigObject {
    /// The object's path (`health`), empty at the top.
    let path: String
    let fields: [String: JSONValue]
    let container: KeyedDecodingContainer<ConfigKey>

    /// The object `decoder` is at; `known` are its fields, any other is refused.
    init(_ decoder: any Decoder, known: [String]) throws {
        path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
        let value = try JSONValue(from: decoder)
        guard case .object(let fields) = value else {
            throw ConfigFieldError(field: path, message: "expected an object, found \(value.typeName)")
        }
        self.fields = fields
        container = try decoder.container(keyedBy: ConfigKey.self)
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail(unknown, "unknown field (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func fail(_ key: String, _ message: String) -> ConfigFieldError {
        ConfigFieldError(field: path.isEmpty ? key : path + "." + key, message: message)
    }

    /// A non-blank string.
    func string(_ key: String, required: Bool = false) throws -> String? {
        switch fields[key] {
        case nil:
            if required { throw fail(key, "missing; it is required") }
            return nil
        case .string(let value):
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail(key, "is empty") }
            return value
        case let other?: throw fail(key, "expected a string, found \(other.typeName)")
        }
    }

    /// A whole number in `range`.
    func integer(_ key: String, in range: ClosedRange<Int>, required: Bool = false) throws -> Int? {
        let expected = "expected a whole number from \(range.lowerBound) to \(range.upperBound)"
        switch fields[key] {
        case nil:
            if required { throw fail(key, "missing; it is required") }
            return nil
        case .number(let value):
            guard value.rounded() == value, let number = Int(exactly: value), range.contains(number) else {
                throw fail(key, "\(expected), found \(value.formatted())")
            }
            return number
        case let other?: throw fail(key, "\(expected), found \(other.typeName)")
        }
    }

    /// A finite number above zero.
    func positiveNumber(_ key: String) throws -> Double? {
        switch fields[key] {
        case nil: return nil
        case .number(let number) where number > 0 && number.isFinite: return number
        case .number(let number): throw fail(key, "expected a positive number, found \(number.formatted())")
        case let other?: throw fail(key, "expected a positive number, found \(other.typeName)")
        }
    }

    /// true or false.
    func bool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil: return nil
        case .bool(let value): return value
        case let other?: throw fail(key, "expected true or false, found \(other.typeName)")
        }
    }

    /// A nested value, decoded with its own checks (its errors name `path.key.field`).
    func nested<Value: Decodable>(_ type: Value.Type, _ key: String) throws -> Value? {
        // decodeIfPresent takes null for absent; the config means nothing by it.
        if case .null? = fields[key] { throw fail(key, "expected an object, found null") }
        return try container.decodeIfPresent(type, forKey: ConfigKey(key))
    }
}
