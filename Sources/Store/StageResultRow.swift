import Records

/// One row of `stage_results`: the latest outcome of one stage on one video.
public struct StageResultRow: Codable, Sendable, Equatable {
    public var videoID: Int64
    public var stage: String
    /// The stage fingerprint the result was computed under.
    public var fingerprint: String
    public var status: StageStatus
    public var error: String?
    public var elapsedS: Double
    /// ISO 8601 UTC, e.g. `2025-01-31T02:15:00.123Z`.
    public var finishedAt: String
    public var note: String?

    public init(videoID: Int64, stage: String, fingerprint: String, status: StageStatus, error: String?,
                elapsedS: Double, finishedAt: String, note: String?) {
        self.videoID = videoID
        self.stage = stage
        self.fingerprint = fingerprint
        self.status = status
        self.error = error
        self.elapsedS = elapsedS
        self.finishedAt = finishedAt
        self.note = note
    }
}
