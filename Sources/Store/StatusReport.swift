/// The `vidpipe status --json` document:
/// `{videos: {done, failed, pending}, stages: [{stage, done, failed, skipped}], failures: [{path, error}],
/// models: [{provider, model, calls, prompt_tokens, completion_tokens, total_tokens}]}`.
public struct StatusReport: Codable, Sendable, Equatable {
    public struct VideoCounts: Codable, Sendable, Equatable {
        public var done: Int
        public var failed: Int
        public var pending: Int
        public init(done: Int, failed: Int, pending: Int) {
            self.done = done
            self.failed = failed
            self.pending = pending
        }
    }

    public struct StageCounts: Codable, Sendable, Equatable {
        public var stage: String
        public var done: Int
        public var failed: Int
        /// Not in DESIGN.md's minimum shape; an extra key scripts may ignore.
        public var skipped: Int
        public init(stage: String, done: Int, failed: Int, skipped: Int) {
            self.stage = stage
            self.done = done
            self.failed = failed
            self.skipped = skipped
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var path: String
        /// The recorded error; empty when the video failed without one.
        public var error: String
        public init(path: String, error: String) {
            self.path = path
            self.error = error
        }
    }

    public var videos: VideoCounts
    /// One entry per stage name found in `stage_results`, sorted by name.
    public var stages: [StageCounts]
    /// Failed videos, sorted by path.
    public var failures: [Failure]
    /// Model calls sent over the wire and their tokens, per provider and model (cache hits cost nothing
    /// and are not counted). Not in DESIGN.md's minimum shape; an extra key.
    public var models: [ModelUsage]

    public init(videos: VideoCounts, stages: [StageCounts], failures: [Failure], models: [ModelUsage] = []) {
        self.videos = videos
        self.stages = stages
        self.failures = failures
        self.models = models
    }
}
