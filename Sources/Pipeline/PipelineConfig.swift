import Foundation
import Stages
import Yams

/// What a pipeline file may hold (docs/pipeline.md, "Limits"). Past these the file is refused with a
/// positioned error, so that a hostile or broken file costs at most a fraction of a second to reject.
public enum PipelineLimits {
    /// The largest pipeline file read.
    public static let fileBytes = 1 << 20
    /// Values (scalars, lists, mappings) in the file once every alias is expanded: a "billion laughs"
    /// stops here instead of being expanded while the parameters are decoded.
    public static let values = 100_000
    /// How deeply lists and mappings may nest (libyaml itself stops at 1000).
    public static let depth = 64
    public static let stages = 1000
    /// Errors printed in full (with snippet and hint); the rest are counted.
    public static let printedErrors = 50
}

/// A source position in the pipeline file.
public struct SourcePosition: Sendable, Equatable {
    public var line: Int
    public var column: Int
}

/// An OpenAI-compatible (or other) model server named in `providers:`.
public struct ProviderConfig: Sendable, Equatable {
    public var name: String
    public var type: String
    public var baseURL: String?
    /// The model stages use unless they name their own (`with: { model: ... }`).
    public var model: String?
    public var apiKeyEnv: String?
    public var maxConcurrency: Int
    public var timeout: Double
    /// Retries after a connection error, timeout, 5xx or 429 (with backoff); none on other 4xx.
    public var retries: Int
    public var position: SourcePosition
}

/// One entry of `stages:` as written, before its type is resolved.
// @unchecked Sendable: Yams.Node (the `with:` mapping) is an immutable value tree, only read after parsing.
public struct StageConfig: @unchecked Sendable {
    public var name: String
    public var use: String
    public var from: [String]
    public var provider: String?
    /// The `with:` mapping (nil when absent), kept as a node so errors can point into it.
    public var with: Node?
    public var position: SourcePosition
    public var usePosition: SourcePosition
    public var fromPositions: [SourcePosition]
    public var providerPosition: SourcePosition?
}

/// A pipeline file, parsed and checked for shape (not yet for stage types or graph validity).
public struct PipelineConfig: Sendable {
    /// Absolute path of the pipeline file.
    public var file: String
    /// The file as the user named it, for messages.
    public var displayName: String
    public var source: String
    public var version: Int
    public var name: String
    /// Absolute path of the store, resolved against the pipeline file's directory.
    public var store: String?
    public var inputs: [String]
    /// Lowercased extensions (without dot) a directory scan takes.
    public var extensions: [String]
    public var providers: [String: ProviderConfig]
    public var stages: [StageConfig]

    /// The directory relative paths in the file are resolved against.
    public var baseDirectory: String { (file as NSString).deletingLastPathComponent }

    public static let defaultExtensions = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "mts", "m2ts", "wmv", "flv", "3gp",
        "ogv", "mxf", "dv", "vob", "m4a", "mp3", "wav", "flac", "ogg", "opus", "aac",
    ]
}
