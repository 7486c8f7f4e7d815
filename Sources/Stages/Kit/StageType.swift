/// Which decoded modality a stage reads from the media file.
public enum MediaNeed: String, Sendable {
    case none, video, audio
}

/// Documentation and validation data for one parameter of a stage type.
public struct ParameterDoc: Sendable, Equatable {
    public var name: String
    public var type: String
    public var defaultValue: String
    public var summary: String
    public init(_ name: String, _ type: String, default defaultValue: String, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }

    /// The row of the stage reference in docs/pipeline.md (`vidpipe stages --markdown`).
    public var markdownRow: String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        return "| `\(name)` | \(cell(type)) | `\(cell(defaultValue))` | \(cell(summary)) |"
    }
}

/// A parameter value that is well-formed YAML but not acceptable: which key, what is wrong, what would do.
public struct ParameterError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var hint: String?
    public init(key: String, _ message: String, hint: String? = nil) {
        self.key = key
        self.message = message
        self.hint = hint
    }
    public var description: String { "\(key): \(message)" + (hint.map { " (\($0))" } ?? "") }
}

/// A stage type's parameters: decoded from the `with:` mapping, every key optional with a default.
/// The encoded form (JSON, sorted keys) is what the stage fingerprint hashes. `Codable` and
/// `documentation` come from `fields` (see ParameterField.swift).
public protocol StageParameters: Codable, Sendable, Equatable {
    /// All defaults.
    init()
    /// Checks values beyond their types (ranges, combinations).
    func validate() throws(ParameterError)
    /// Every accepted key, in the order the docs list them: name, property and documentation.
    static var fields: [ParameterField<Self>] { get }
}

/// A stage type: one file in Sources/Stages, one line in `StageRegistry.builtin`.
public protocol StageType: Sendable {
    associatedtype Parameters: StageParameters
    /// Registry name used in `use:`, e.g. "shots.detect".
    static var name: String { get }
    static var summary: String { get }
    /// Bump when results change for the same input and parameters; it is part of the fingerprint.
    static var version: Int { get }
    /// Kinds the `from` stages must supply; empty means the stage reads the media directly.
    static var inputKinds: [DataKind] { get }
    static var outputKind: DataKind { get }
    /// The modality decoded for this stage (a stage can need upstream outputs and video at once).
    static var media: MediaNeed { get }
    /// Plans the work for one video. Throws for a problem with this video (recorded as the stage's failure).
    static func work(parameters: Parameters, context: StageContext) throws -> StageWork
    /// Kinds at least one `from` stage must supply (the others in `inputKinds` are optional).
    static var requiredInputKinds: [DataKind] { get }
    /// Whether these parameters need a model server (`provider:`); checked before any decoding.
    static func needsProvider(_ parameters: Parameters) -> Bool
    /// The model these parameters ask for, overriding the provider's (part of the fingerprint).
    static func model(_ parameters: Parameters) -> String?
    /// Files to write beside the stage's records once they have committed (see `Sidecar`).
    static func sidecars(parameters: Parameters, context: StageContext, output: StageOutput) -> [Sidecar]
}

extension StageType {
    public static var requiredInputKinds: [DataKind] { [] }
    public static func needsProvider(_ parameters: Parameters) -> Bool { false }
    public static func model(_ parameters: Parameters) -> String? { nil }
    public static func sidecars(parameters: Parameters, context: StageContext, output: StageOutput) -> [Sidecar] { [] }
}
