import Foundation
import GRDB

extension VidpipeStore {
    /// Counts for `vidpipe status`: videos by status, stage results by stage and status, and the
    /// failed videos with their errors.
    public func statusReport() throws -> StatusReport {
        try pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM videos GROUP BY status") {
                counts[row["status"]] = row["n"]
            }
            let stages = try Row.fetchAll(
                db,
                sql: """
                    SELECT stage,
                        sum(status = 'done') AS done, sum(status = 'failed') AS failed, sum(status = 'skipped') AS skipped
                    FROM stage_results GROUP BY stage ORDER BY stage
                    """
            ).map { StatusReport.StageCounts(stage: $0["stage"], done: $0["done"], failed: $0["failed"], skipped: $0["skipped"]) }
            let failures = try Row.fetchAll(
                db, sql: "SELECT path, coalesce(error, '') AS error FROM videos WHERE status = 'failed' ORDER BY path"
            ).map { StatusReport.Failure(path: $0["path"], error: $0["error"]) }
            return StatusReport(
                videos: .init(done: counts["done"] ?? 0, failed: counts["failed"] ?? 0, pending: counts["pending"] ?? 0),
                stages: stages, failures: failures, models: try Self.fetchModelUsage(db))
        }
    }

    /// Everything about one video as a JSON document (UTF-8, pretty-printed, sorted keys):
    /// `{schema_version, video: {...}, stages: {NAME: {status, fingerprint, error, elapsed_s,
    /// finished_at, note, shots?, frames?, audio_segments?}}}`. Column names are the table's; frames
    /// carry `jpeg_bytes` (a count) instead of the JPEG and `phash` as 16 hex digits. Missing values
    /// are JSON null; times are seconds.
    public func exportJSON(videoID: Int64) throws -> Data {
        guard let video = try video(id: videoID) else { throw StoreError.videoNotFound(id: videoID) }
        var stages: [String: Any] = [:]
        for result in try stageResults(videoID: videoID) {
            var entry: [String: Any] = [
                "status": result.status.rawValue,
                "fingerprint": result.fingerprint,
                "error": Self.json(result.error),
                "elapsed_s": result.elapsedS,
                "finished_at": result.finishedAt,
                "note": Self.json(result.note),
            ]
            let shots = try shots(videoID: videoID, stage: result.stage)
            if !shots.isEmpty {
                entry["shots"] = shots.map { ["idx": $0.idx, "start_s": $0.startS, "end_s": $0.endS] as [String: Any] }
            }
            let frames = try frameSummaries(videoID: videoID, stage: result.stage)
            if !frames.isEmpty { entry["frames"] = frames }
            let segments = try audioSegments(videoID: videoID, stage: result.stage)
            if !segments.isEmpty {
                entry["audio_segments"] = segments.map {
                    ["kind": $0.kind, "start_s": $0.startS, "end_s": $0.endS, "loudness_db": Self.json($0.loudnessDB)]
                        as [String: Any]
                }
            }
            try addTextOutputs(to: &entry, videoID: videoID, stage: result.stage)
            stages[result.stage] = entry
        }
        let document: [String: Any] = [
            "schema_version": Self.schemaVersion,
            "video": Self.jsonObject(video),
            "stages": stages,
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }

    /// Transcript segments (with words), OCR text (with boxes), caption cues, frame captions, timeline records,
    /// reasoning items and the embeddings' shape, as export objects.
    private func addTextOutputs(to entry: inout [String: Any], videoID: Int64, stage: String) throws {
        func parsed(_ json: String?) -> Any {
            guard let json, let value = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else { return NSNull() }
            return value
        }
        let transcript = try transcript(videoID: videoID, stage: stage)
        if !transcript.isEmpty {
            entry["transcript"] = transcript.map {
                ["start_s": $0.startS, "end_s": $0.endS, "text": $0.text, "confidence": Self.json($0.confidence),
                 "words": parsed($0.wordsJSON), "language": $0.language ?? NSNull()] as [String: Any]
            }
        }
        let texts = try ocrTexts(videoID: videoID, stage: stage)
        if !texts.isEmpty {
            entry["ocr_texts"] = texts.map {
                ["t_s": $0.tS, "frame_id": Self.json($0.frameID), "text": $0.text, "confidence": Self.json($0.confidence),
                 "boxes": parsed($0.boxesJSON), "reused_from_s": Self.json($0.reusedFromS)] as [String: Any]
            }
        }
        let cues = try subtitleCues(videoID: videoID, stage: stage)
        if !cues.isEmpty {
            entry["subtitle_cues"] = cues.map { ["idx": $0.idx, "start_s": $0.startS, "end_s": $0.endS, "text": $0.text] as [String: Any] }
        }
        let captions = try captions(videoID: videoID, stage: stage)
        if !captions.isEmpty {
            entry["captions"] = captions.map {
                ["start_s": $0.startS, "end_s": $0.endS, "frame_id": Self.json($0.frameID), "text": $0.text,
                 "model": Self.json($0.model), "reused_from_s": Self.json($0.reusedFromS)] as [String: Any]
            }
        }
        let timeline = try timeline(videoID: videoID, stage: stage)
        if !timeline.isEmpty { entry["timeline"] = timeline.map { parsed($0.recordJSON) } }
        let reasoning = try reasoning(videoID: videoID, stage: stage)
        if !reasoning.isEmpty {
            entry["reasoning"] = reasoning.map {
                ["task": $0.task, "idx": $0.idx, "start_s": Self.json($0.startS), "end_s": Self.json($0.endS), "text": $0.text,
                 "json": parsed($0.json), "model": Self.json($0.model)] as [String: Any]
            }
        }
        let vectors = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT count(*) AS n, max(dim) AS dim, max(model) AS model FROM embeddings WHERE video_id = ? AND stage = ?",
                             arguments: [videoID, stage])
        }
        if let vectors, let n: Int = vectors["n"], n > 0 {
            // Vectors are not exported (read them from the store); their count and shape are.
            entry["embeddings"] = ["count": n, "dim": vectors["dim"] as Int? ?? 0, "model": Self.json(vectors["model"] as String?)] as [String: Any]
        }
    }

    /// Frames as export objects, reading only the JPEG's length.
    private func frameSummaries(videoID: Int64, stage: String) throws -> [[String: Any]] {
        let rows = try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, t_s, shot_idx, phash, width, height, length(jpeg) AS jpeg_bytes
                    FROM frames WHERE video_id = ? AND stage = ? ORDER BY t_s, id
                    """,
                arguments: [videoID, stage])
        }
        return rows.map { row in
            let phash: Int64 = row["phash"]
            let shotIdx: Int? = row["shot_idx"]
            return [
                "id": row["id"] as Int64,
                "t_s": row["t_s"] as Double,
                "shot_idx": Self.json(shotIdx),
                "phash": Self.hex(UInt64(bitPattern: phash)),
                "width": row["width"] as Int,
                "height": row["height"] as Int,
                "jpeg_bytes": row["jpeg_bytes"] as Int,
            ]
        }
    }

    private static func jsonObject(_ video: VideoRow) -> [String: Any] {
        [
            "id": video.id,
            "path": video.path,
            "fingerprint": video.fingerprint,
            "size_bytes": video.sizeBytes,
            "mtime_ns": video.mtimeNs,
            "duration_s": json(video.durationS),
            "width": json(video.width),
            "height": json(video.height),
            "fps": json(video.fps),
            "video_codec": json(video.videoCodec),
            "audio_codec": json(video.audioCodec),
            "container": json(video.container),
            "rotation": json(video.rotation),
            "has_video": video.hasVideo,
            "has_audio": video.hasAudio,
            "status": video.status.rawValue,
            "error": json(video.error),
            "warnings": video.warningList,
            "updated_at": video.updatedAt,
        ]
    }

    /// A 64-bit value as exactly 16 lowercase hex digits.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// An optional as a JSON value: the wrapped value, or null. Non-finite doubles become null.
    private static func json<T>(_ value: T?) -> Any {
        guard let value else { return NSNull() }
        if let double = value as? Double, !double.isFinite { return NSNull() }
        return value
    }
}
