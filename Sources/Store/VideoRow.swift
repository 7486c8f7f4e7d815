import Records
import Foundation
import GRDB

/// One row of `videos`: a file known by its content fingerprint, with what probing found.
public struct VideoRow: Codable, Sendable, Equatable {
    public var id: Int64
    /// Absolute path where the content was last seen.
    public var path: String
    /// Content fingerprint (size plus a hash of sampled blocks); unique.
    public var fingerprint: String
    public var sizeBytes: Int64
    /// Modification time in nanoseconds since 1970, for the fingerprint cache.
    public var mtimeNs: Int64
    public var durationS: Double?
    public var width: Int?
    public var height: Int?
    public var fps: Double?
    public var videoCodec: String?
    public var audioCodec: String?
    public var container: String?
    public var rotation: Int?
    public var hasVideo: Bool
    public var hasAudio: Bool
    public var status: VideoStatus
    public var error: String?
    /// JSON array of warning strings, or nil when there are none.
    public var warnings: String?
    /// ISO 8601 UTC, e.g. `2025-01-31T02:15:00.123Z`.
    public var updatedAt: String

    public init(id: Int64, path: String, fingerprint: String, sizeBytes: Int64, mtimeNs: Int64,
                durationS: Double? = nil, width: Int? = nil, height: Int? = nil, fps: Double? = nil,
                videoCodec: String? = nil, audioCodec: String? = nil, container: String? = nil,
                rotation: Int? = nil, hasVideo: Bool = false, hasAudio: Bool = false,
                status: VideoStatus = .pending, error: String? = nil, warnings: String? = nil, updatedAt: String) {
        self.id = id
        self.path = path
        self.fingerprint = fingerprint
        self.sizeBytes = sizeBytes
        self.mtimeNs = mtimeNs
        self.durationS = durationS
        self.width = width
        self.height = height
        self.fps = fps
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
        self.container = container
        self.rotation = rotation
        self.hasVideo = hasVideo
        self.hasAudio = hasAudio
        self.status = status
        self.error = error
        self.warnings = warnings
        self.updatedAt = updatedAt
    }

    /// The warnings decoded from their JSON array (empty when there are none).
    public var warningList: [String] {
        guard let warnings else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(warnings.utf8))) ?? [warnings]
    }

    /// Columns in the order `init(row:)` reads them.
    static let selectColumns = """
        id, path, fingerprint, size_bytes, mtime_ns, duration_s, width, height, fps, video_codec, audio_codec, \
        container, rotation, has_video, has_audio, status, error, warnings, updated_at
        """

    init(row: Row) {
        self.init(
            id: row["id"], path: row["path"], fingerprint: row["fingerprint"],
            sizeBytes: row["size_bytes"], mtimeNs: row["mtime_ns"], durationS: row["duration_s"],
            width: row["width"], height: row["height"], fps: row["fps"],
            videoCodec: row["video_codec"], audioCodec: row["audio_codec"], container: row["container"],
            rotation: row["rotation"], hasVideo: row["has_video"], hasAudio: row["has_audio"],
            status: VideoStatus(rawValue: row["status"]) ?? .pending,
            error: row["error"], warnings: row["warnings"], updatedAt: row["updated_at"])
    }
}
