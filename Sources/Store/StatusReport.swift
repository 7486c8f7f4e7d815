import GRDB

/// The `vidpipe status --json` document:
/// `{videos: {done, failed, pending}, stages: [{stage, done, failed, skipped}], failures: [{path, error}],
/// models: [{provider, model, calls, prompt_tokens, completion_tokens, total_tokens}]}`.
public struct StatusReport: Codable, Sendable, Equatable {
    public struct VideoCounts: Codable, Sendable, Equatable {
        public var done: Int
        public var failed: Int
        public var pending: Int
    }

    public struct StageCounts: Codable, Sendable, Equatable {
        public var stage: String
        public var done: Int
        public var failed: Int
        /// Not in DESIGN.md's minimum shape; an extra key scripts may ignore.
        public var skipped: Int
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var path: String
        /// The recorded error; empty when the video failed without one.
        public var error: String
    }

    public var videos: VideoCounts
    /// One entry per stage name found in `stage_results`, sorted by name.
    public var stages: [StageCounts]
    /// Failed videos, sorted by path.
    public var failures: [Failure]
    /// Model calls sent over the wire and their tokens, per provider and model (cache hits cost nothing
    /// and are not counted). Not in DESIGN.md's minimum shape; an extra key.
    public var models: [ModelUsage] = []
}

/// Token usage summed per provider and model (`vidpipe status`).
public struct ModelUsage: Codable, Sendable, Equatable {
    public var provider: String
    public var model: String
    public var calls: Int
    public var prompt_tokens: Int
    public var completion_tokens: Int
    public var total_tokens: Int
}

// Read straight from the report's queries: the columns are named as the JSON keys.
extension StatusReport.StageCounts: FetchableRecord {}
extension StatusReport.Failure: FetchableRecord {}
extension ModelUsage: FetchableRecord {}
