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
    /// Model stages whose stored results were made with a model identity other than the one last served
    /// (a re-pulled or swapped model); the next run redoes them. An extra key.
    public var stale_models: [StaleModelResults] = []
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

extension StatusReport {
    /// Several stores' reports as one (a sharded run watched as a whole): counts added, stages and
    /// model usage summed by name, failures listed together by path.
    public static func summing(_ reports: [StatusReport]) -> StatusReport {
        var videos = VideoCounts(done: 0, failed: 0, pending: 0)
        var stages: [String: StageCounts] = [:]
        var models: [String: ModelUsage] = [:]
        var failures: [Failure] = []
        var stale: [StaleModelResults] = []
        for report in reports {
            stale += report.stale_models
            videos.done += report.videos.done
            videos.failed += report.videos.failed
            videos.pending += report.videos.pending
            for s in report.stages {
                var sum = stages[s.stage] ?? StageCounts(stage: s.stage, done: 0, failed: 0, skipped: 0)
                sum.done += s.done
                sum.failed += s.failed
                sum.skipped += s.skipped
                stages[s.stage] = sum
            }
            for m in report.models {
                let key = m.provider + "\u{0}" + m.model
                var sum = models[key] ?? ModelUsage(provider: m.provider, model: m.model, calls: 0, prompt_tokens: 0,
                                                     completion_tokens: 0, total_tokens: 0)
                sum.calls += m.calls
                sum.prompt_tokens += m.prompt_tokens
                sum.completion_tokens += m.completion_tokens
                sum.total_tokens += m.total_tokens
                models[key] = sum
            }
            failures += report.failures
        }
        return StatusReport(
            videos: videos, stages: stages.values.sorted { $0.stage < $1.stage },
            failures: failures.sorted { $0.path < $1.path },
            models: models.values.sorted { ($0.provider, $0.model) < ($1.provider, $1.model) },
            stale_models: stale)
    }
}
