/// Where a video stands after the last run that touched it (`videos.status`).
public enum VideoStatus: String, Codable, Sendable, CaseIterable {
    case pending, done, failed
}
