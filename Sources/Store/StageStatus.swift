/// The outcome of one stage on one video (`stage_results.status`).
public enum StageStatus: String, Codable, Sendable, CaseIterable {
    case done, failed, skipped
}
