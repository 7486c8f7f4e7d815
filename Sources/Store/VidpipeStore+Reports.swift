import Foundation
import GRDB
import Records

extension VidpipeStore {
    /// Counts for `vidpipe status`: videos by status, stage results by stage and status, and the
    /// failed videos with their errors.
    public func statusReport() throws -> StatusReport {
        var report = try countsReport()
        report.stale_models = try staleModelResults()
        return report
    }

    private func countsReport() throws -> StatusReport {
        try pool.read { db in
            var counts: [VideoStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM videos GROUP BY status") {
                if let status = VideoStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            let stages = try StatusReport.StageCounts.fetchAll(
                db,
                sql: """
                    SELECT stage, sum(status = ?) AS done, sum(status = ?) AS failed, sum(status = ?) AS skipped
                    FROM stage_results GROUP BY stage ORDER BY stage
                    """,
                arguments: [StageStatus.done.rawValue, StageStatus.failed.rawValue, StageStatus.skipped.rawValue]
            )
            let failures = try StatusReport.Failure.fetchAll(
                db, sql: "SELECT path, coalesce(error, '') AS error FROM videos WHERE status = ? ORDER BY path",
                arguments: [VideoStatus.failed.rawValue]
            )
            return StatusReport(
                videos: .init(done: counts[.done] ?? 0, failed: counts[.failed] ?? 0, pending: counts[.pending] ?? 0),
                stages: stages, failures: failures, models: try Self.fetchModelUsage(db))
        }
    }

    /// Everything about one video as a JSON document (UTF-8, pretty-printed, sorted keys):
    /// `{schema_version, video: {...}, stages: {NAME: {status, fingerprint, error, elapsed_s,
    /// finished_at, note, shots?, frames?, audio_segments?, transcript?, ...}}}`. Each kind's rows
    /// come as their table's columns (`StoredRecord.export`); JSON columns are parsed, frames carry
    /// `jpeg_bytes` (a count) instead of the JPEG and `phash` as 16 hex digits, embeddings only their
    /// count and shape. Missing values are JSON null; times are seconds.
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
            try pool.read { db in
                for type in StoredRecords.types {
                    try Self.exportRows(type, db, videoID: videoID, stage: result.stage, into: &entry)
                }
            }
            stages[result.stage] = entry
        }
        let document: [String: Any] = [
            "schema_version": Self.schemaVersion,
            "video": Self.jsonObject(video),
            "stages": stages,
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }

    /// Columns holding JSON text: exported as the parsed value.
    private static let jsonColumns: Set<String> = ["words", "boxes", "json", "record"]

    /// Adds one kind's rows of a (video, stage) to an export entry, if there are any.
    private static func exportRows(_ type: any StoredRecord.Type, _ db: Database, videoID: Int64, stage: String,
                                   into entry: inout [String: Any]) throws {
        let filter = "FROM \(type.table) WHERE video_id = ? AND stage = ?"
        switch type.export {
        case .columns(let key, let select):
            let rows = try Row.fetchAll(db, sql: "SELECT \(select) \(filter) ORDER BY \(type.ordering)",
                                        arguments: [videoID, stage])
            if !rows.isEmpty { entry[key] = rows.map(exportObject) }
        case .document(let key, let column):
            let documents = try String.fetchAll(db, sql: "SELECT \(column) \(filter) ORDER BY \(type.ordering)",
                                                arguments: [videoID, stage])
            if !documents.isEmpty { entry[key] = documents.map { parsedJSON($0) } }
        case .vectorSummary(let key):
            // Vectors are not exported (read them from the store); their count and shape are.
            if let row = try Row.fetchOne(db, sql: "SELECT count(*) AS n, max(dim) AS dim, max(model) AS model \(filter)",
                                          arguments: [videoID, stage]),
               let n: Int = row["n"], n > 0 {
                entry[key] = ["count": n, "dim": row["dim"] as Int? ?? 0, "model": json(row["model"] as String?)] as [String: Any]
            }
        }
    }

    /// A row as a JSON object: column name to value.
    private static func exportObject(_ row: Row) -> [String: Any] {
        var object: [String: Any] = [:]
        for (column, value) in row {
            switch value.storage {
            case .null: object[column] = NSNull()
            case .int64(let v): object[column] = column == "phash" ? hex(UInt64(bitPattern: v)) : v
            case .double(let v): object[column] = v.isFinite ? v : NSNull()
            case .string(let v): object[column] = jsonColumns.contains(column) ? parsedJSON(v) : v
            case .blob(let v): object[column] = v.count
            }
        }
        return object
    }

    private static func parsedJSON(_ text: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? NSNull()
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

/// Time and results per stage over a period (what `run --metrics-file` reports).
public struct StageTimes: Sendable, Equatable {
    public var stage: String
    public var seconds: Double
    public var counts: [StageStatus: Int]
}

extension VidpipeStore {
    /// Per stage: the seconds and the results of every stage result finished at or after `since`
    /// (ISO 8601 UTC with milliseconds, as the store writes times).
    public func stageTimes(finishedSince since: String) throws -> [StageTimes] {
        try pool.read { db in
            var byStage: [String: StageTimes] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT stage, status, sum(elapsed_s) AS seconds, count(*) AS n FROM stage_results
                WHERE finished_at >= ? GROUP BY stage, status
                """, arguments: [since]) {
                let stage: String = row["stage"]
                var entry = byStage[stage] ?? StageTimes(stage: stage, seconds: 0, counts: [:])
                entry.seconds += row["seconds"] ?? 0
                if let status = StageStatus(rawValue: row["status"]) { entry.counts[status, default: 0] += row["n"] }
                byStage[stage] = entry
            }
            return byStage.values.sorted { $0.stage < $1.stage }
        }
    }
}
