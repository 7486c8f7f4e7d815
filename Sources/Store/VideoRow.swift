import Records
import Foundation
import GRDB

/// One row of `videos`: a file known by its content fingerprint, with what probing found (its
/// fields read through: `video.durationS` is `video.probe.durationS`).
@dynamicMemberLookup
public struct VideoRow: Sendable, Equatable {
    public var id: Int64
    /// Absolute path where the content was last seen.
    public var path: String
    /// Content fingerprint (size plus a hash of sampled blocks); unique.
    public var fingerprint: String
    public var sizeBytes: Int64
    /// Modification time in nanoseconds since 1970, for the fingerprint cache.
    public var mtimeNs: Int64
    public var probe: ProbeFields
    public var status: VideoStatus
    public var error: String?
    /// JSON array of warning strings, or nil when there are none.
    public var warnings: String?
    /// ISO 8601 UTC, e.g. `2025-01-31T02:15:00.123Z`.
    public var updatedAt: String

    public subscript<T>(dynamicMember field: KeyPath<ProbeFields, T>) -> T { probe[keyPath: field] }

    /// The warnings decoded from their JSON array (empty when there are none).
    public var warningList: [String] {
        guard let warnings else { return [] }
        return (try? JSONDecoder().decode([String].self, from: Data(warnings.utf8))) ?? [warnings]
    }
}

extension VideoRow {
    /// Columns in the order `init(row:)` reads them.
    static let selectColumns = """
        id, path, fingerprint, size_bytes, mtime_ns, duration_s, width, height, fps, video_codec, audio_codec, \
        container, rotation, has_video, has_audio, status, error, warnings, updated_at
        """

    init(row: Row) {
        self.init(
            id: row["id"], path: row["path"], fingerprint: row["fingerprint"], sizeBytes: row["size_bytes"],
            mtimeNs: row["mtime_ns"],
            probe: ProbeFields(durationS: row["duration_s"], width: row["width"], height: row["height"], fps: row["fps"],
                               videoCodec: row["video_codec"], audioCodec: row["audio_codec"], container: row["container"],
                               hasVideo: row["has_video"], hasAudio: row["has_audio"], rotation: row["rotation"]),
            status: VideoStatus(rawValue: row["status"]) ?? .pending,
            error: row["error"], warnings: row["warnings"], updatedAt: row["updated_at"])
    }
}
