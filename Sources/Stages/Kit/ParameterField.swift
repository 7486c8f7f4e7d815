import Foundation
import ModelAPI

/// The name of a key in a stage's `with:` mapping.
public struct ParameterKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// One key a stage type accepts: its name, the property it sets, and its documentation.
///
/// A type's `fields` are the one source of its keys: decoding (a missing key keeps the value of
/// `Parameters()`), encoding (the JSON the fingerprint hashes) and the docs table all read them,
/// and the default shown in the docs is the encoded default, so key, default and docs cannot drift.
public struct ParameterField<Root: StageParameters>: Sendable {
    public let name: String
    /// The property the key sets.
    let keyPath: PartialKeyPath<Root> & Sendable
    let type: String
    let summary: String
    /// Shown instead of the default's own text; only for a default that is empty or none and
    /// stands for something chosen later (an installed model, the task's prompt).
    let defaultText: String?
    /// Sets the key's property when the key is present.
    let decode: @Sendable (inout Root, KeyedDecodingContainer<ParameterKey>) throws -> Void
    let encode: @Sendable (Root, inout KeyedEncodingContainer<ParameterKey>) throws -> Void
    private let text: @Sendable (Root) -> String

    private init<Value>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Value> & Sendable, _ type: String, _ defaultText: String?, _ summary: String,
        read: @escaping @Sendable (KeyedDecodingContainer<ParameterKey>, ParameterKey) throws -> Value,
        write: @escaping @Sendable (Value, inout KeyedEncodingContainer<ParameterKey>, ParameterKey) throws -> Void,
        text: @escaping @Sendable (Value) -> String
    ) {
        let key = ParameterKey(stringValue: name)
        self.name = name
        self.keyPath = keyPath
        self.type = type
        self.summary = summary
        self.defaultText = defaultText
        // A missing key, or an explicit null, keeps the value the root already has (its default).
        self.decode = { root, container in
            guard container.contains(key), try !container.decodeNil(forKey: key) else { return }
            root[keyPath: keyPath] = try read(container, key)
        }
        self.encode = { root, container in try write(root[keyPath: keyPath], &container, key) }
        self.text = { root in text(root[keyPath: keyPath]) }
    }

    /// A key whose value decodes as its property's own type (numbers, strings, `Seconds`, lists).
    public init<Value: Codable & Sendable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Value> & Sendable, _ type: String,
        defaultText: String? = nil, _ summary: String
    ) {
        self.init(name, keyPath, type, defaultText, summary,
                  read: { try $0.decode(Value.self, forKey: $1) },
                  write: { try $1.encode($0, forKey: $2) },
                  text: { ParameterText.of($0) })
    }

    /// A key that names one of a closed set of choices: an unknown value is an error listing the valid ones.
    public init<Choice: RawRepresentable & CaseIterable & Codable & Sendable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Choice> & Sendable, _ type: String,
        defaultText: String? = nil, _ summary: String
    ) where Choice.RawValue == String {
        self.init(name, keyPath, type, defaultText, summary,
                  read: { try $0.decodeChoice(Choice.self, forKey: $1) },
                  write: { try $1.encode($0, forKey: $2) },
                  text: { ParameterText.of($0) })
    }

    /// A key that may stay unset: absent from the encoded JSON while nil.
    public init<Wrapped: Codable & Sendable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Wrapped?> & Sendable, _ type: String,
        defaultText: String? = nil, _ summary: String
    ) {
        self.init(name, keyPath, type, defaultText, summary,
                  read: { try $0.decode(Wrapped.self, forKey: $1) },
                  write: { try $1.encodeIfPresent($0, forKey: $2) },
                  text: { $0.map(ParameterText.of) ?? "none" })
    }

    /// A key written in another form than its property's type (e.g. durations kept as seconds);
    /// `read` decodes the present value.
    public init<Value: Codable & Sendable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Value> & Sendable, _ type: String,
        defaultText: String? = nil, _ summary: String,
        read: @escaping @Sendable (KeyedDecodingContainer<ParameterKey>, ParameterKey) throws -> Value
    ) {
        self.init(name, keyPath, type, defaultText, summary,
                  read: read,
                  write: { try $1.encode($0, forKey: $2) },
                  text: { ParameterText.of($0) })
    }

    /// A key added to a type after results were stored with it: left out of the encoded JSON (what the
    /// fingerprint hashes) while it holds its default, so adding it reruns nothing that was done.
    public static func omittingDefault<Value: Codable & Sendable & Equatable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Value> & Sendable, _ type: String,
        defaultText: String? = nil, _ summary: String
    ) -> ParameterField {
        ParameterField(name, keyPath, type, defaultText, summary,
                       read: { try $0.decode(Value.self, forKey: $1) },
                       write: { value, container, key in
                           if value != Root()[keyPath: keyPath] { try container.encode(value, forKey: key) }
                       },
                       text: { ParameterText.of($0) })
    }

    /// `omittingDefault` for a key that names one of a closed set of choices.
    public static func omittingDefault<Choice: RawRepresentable & CaseIterable & Codable & Sendable & Equatable>(
        _ name: String, _ keyPath: any WritableKeyPath<Root, Choice> & Sendable, _ type: String,
        defaultText: String? = nil, _ summary: String
    ) -> ParameterField where Choice.RawValue == String {
        ParameterField(name, keyPath, type, defaultText, summary,
                       read: { try $0.decodeChoice(Choice.self, forKey: $1) },
                       write: { value, container, key in
                           if value != Root()[keyPath: keyPath] { try container.encode(value, forKey: key) }
                       },
                       text: { ParameterText.of($0) })
    }

    /// The docs row: the default is the text of `Root()`'s value, unless `defaultText` stands in for it.
    var documentation: ParameterDoc {
        ParameterDoc(name, type, default: defaultText ?? text(Root()), summary)
    }

    /// The default's own text, ignoring `defaultText` (tests check `defaultText` only replaces an empty one).
    var encodedDefaultText: String { text(Root()) }
}

extension StageParameters {
    /// Starts from `Self()` and sets each key present in the mapping; unknown keys are ignored here
    /// (the pipeline graph reports them with their position).
    public init(from decoder: any Decoder) throws {
        self.init()
        let container = try decoder.container(keyedBy: ParameterKey.self)
        for field in Self.fields { try field.decode(&self, container) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ParameterKey.self)
        for field in Self.fields { try field.encode(self, &container) }
    }

    /// Every accepted key, for validation of unknown keys and for docs, in the order of `fields`.
    public static var documentation: [ParameterDoc] { fields.map(\.documentation) }

    /// The key that sets `property` (so `validate()` names keys without spelling them again).
    static func key(_ property: PartialKeyPath<Self>) -> String {
        guard let field = fields.first(where: { ($0.keyPath as PartialKeyPath<Self>) == property }) else {
            preconditionFailure("\(Self.self): no parameter field sets \(property)")
        }
        return field.name
    }

    /// Checks that a property lies in `range`; the error names its key.
    func check<T: Comparable>(_ property: KeyPath<Self, T>, _ range: ClosedRange<T>) throws(ParameterError) {
        try ParameterCheck.range(self[keyPath: property], range, key: Self.key(property))
    }

    /// Checks that a duration, in seconds, lies in `range`; the error names its key.
    func check(_ property: KeyPath<Self, Seconds>, _ range: ClosedRange<Double>) throws(ParameterError) {
        try ParameterCheck.range(self[keyPath: property].value, range, key: Self.key(property))
    }

    /// Checks that a duration is greater than zero; the error names its key.
    func checkPositive(_ property: KeyPath<Self, Seconds>) throws(ParameterError) {
        try ParameterCheck.positive(self[keyPath: property].value, key: Self.key(property))
    }
}

/// How a parameter's value reads in the docs: durations with their unit, strings bare ("" when
/// empty), lists in brackets, numbers as JSON writes them.
enum ParameterText {
    static func of(_ value: some Encodable) -> String {
        if let seconds = value as? Seconds { return seconds.description }
        guard let data = try? JSONEncoder().encode(value), let json = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return "\(value)"
        }
        return of(json)
    }

    static func of(_ json: JSONValue) -> String {
        switch json {
        case .null: return "none"
        case .bool(let b): return String(b)
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .string(let s): return s.isEmpty ? "\"\"" : s
        case .array(let items): return "[" + items.map(of).joined(separator: ", ") + "]"
        case .object: return json.jsonText
        }
    }
}
