/// The `vidpipe status --json` document:
/// `{videos: {done, failed, pending}, stages: [{stage, done, failed, skipped}], failures: [{path, error}]}`.
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

    public init(videos: VideoCounts, stages: [StageCounts], failures: [Failure]) {
        self.videos = videos
        self.stages = stages
        self.failures = failures
    }
}
