import Foundation
import GRDB

extension VidpipeStore {
    /// Every stage result recorded for a video, ordered by stage name.
    public func stageResults(videoID: Int64) throws -> [StageResultRow] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT video_id, stage, fingerprint, status, error, elapsed_s, finished_at, note
                    FROM stage_results WHERE video_id = ? ORDER BY stage
                    """,
                arguments: [videoID]
            ).map { row in
                StageResultRow(
                    videoID: row["video_id"], stage: row["stage"], fingerprint: row["fingerprint"],
                    status: StageStatus(rawValue: row["status"]) ?? .failed, error: row["error"],
                    elapsedS: row["elapsed_s"], finishedAt: row["finished_at"], note: row["note"])
            }
        }
    }

    /// The build-system rule: in ONE write transaction, delete this (video, stage)'s rows from every
    /// output table (and `search`), insert `rows`, and upsert `stage_results` as done with
    /// `fingerprint`, `elapsedSeconds`, `finished_at` = now, no error, and `note`. If anything
    /// throws, the previous result stays exactly as it was.
    public func replaceStageResult(videoID: Int64, stage: String, fingerprint: String, elapsedSeconds: Double,
                                   rows: StageRows, note: String? = nil) throws {
        try pool.write { db in
            try Self.deleteOutputs(db, videoID: videoID, stage: stage)
            try Self.insert(rows, db, videoID: videoID, stage: stage)
            try Self.upsertStageResult(db, videoID: videoID, stage: stage, fingerprint: fingerprint, status: .done,
                                       error: nil, elapsedSeconds: elapsedSeconds, note: note)
        }
    }

    /// In ONE transaction: delete the stage's output rows and upsert `stage_results` with `status`
    /// (normally failed or skipped) and the error or skip reason.
    public func recordStageOutcome(videoID: Int64, stage: String, fingerprint: String, status: StageStatus,
                                   error: String?, elapsedSeconds: Double) throws {
        try pool.write { db in
            try Self.deleteOutputs(db, videoID: videoID, stage: stage)
            try Self.upsertStageResult(db, videoID: videoID, stage: stage, fingerprint: fingerprint, status: status,
                                       error: error, elapsedSeconds: elapsedSeconds, note: nil)
        }
    }

    // MARK: Loading results back

    /// The shots a stage wrote for a video, by index.
    public func shots(videoID: Int64, stage: String) throws -> [ShotRow] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT idx, start_s, end_s FROM shots WHERE video_id = ? AND stage = ? ORDER BY idx",
                arguments: [videoID, stage]
            ).map { ShotRow(idx: $0["idx"], startS: $0["start_s"], endS: $0["end_s"]) }
        }
    }

    /// The frames a stage wrote for a video, by time; `jpeg` is empty unless `includeJPEG`.
    public func frames(videoID: Int64, stage: String, includeJPEG: Bool) throws -> [FrameRow] {
        let jpegColumn = includeJPEG ? "jpeg" : "NULL AS jpeg"
        return try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, t_s, shot_idx, phash, width, height, \(jpegColumn)
                    FROM frames WHERE video_id = ? AND stage = ? ORDER BY t_s, id
                    """,
                arguments: [videoID, stage]
            ).map { row in
                let jpeg: Data? = row["jpeg"]
                let phash: Int64 = row["phash"]
                return FrameRow(id: row["id"], tS: row["t_s"], shotIdx: row["shot_idx"], phash: UInt64(bitPattern: phash),
                                width: row["width"], height: row["height"], jpeg: jpeg.map { [UInt8]($0) } ?? [])
            }
        }
    }

    /// The audio segments a stage wrote for a video, by start time.
    public func audioSegments(videoID: Int64, stage: String) throws -> [AudioSegmentRow] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT kind, start_s, end_s, loudness_db FROM audio_segments
                    WHERE video_id = ? AND stage = ? ORDER BY start_s, id
                    """,
                arguments: [videoID, stage]
            ).map { AudioSegmentRow(kind: $0["kind"], startS: $0["start_s"], endS: $0["end_s"], loudnessDB: $0["loudness_db"]) }
        }
    }

    // MARK: Write helpers (run inside the caller's transaction)

    static func deleteOutputs(_ db: Database, videoID: Int64, stage: String) throws {
        for table in SchemaMigrations.outputTables {
            try db.execute(sql: "DELETE FROM \(table) WHERE video_id = ? AND stage = ?", arguments: [videoID, stage])
        }
    }

    static func insert(_ rows: StageRows, _ db: Database, videoID: Int64, stage: String) throws {
        switch rows {
        case .shots(let shots):
            let statement = try db.makeStatement(
                sql: "INSERT INTO shots (video_id, stage, idx, start_s, end_s) VALUES (?, ?, ?, ?, ?)")
            for shot in shots {
                try statement.execute(arguments: [videoID, stage, shot.idx, shot.startS, shot.endS])
            }
        case .frames(let frames):
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO frames (video_id, stage, t_s, shot_idx, phash, width, height, jpeg)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for frame in frames {
                try statement.execute(arguments: [videoID, stage, frame.tS, frame.shotIdx, Int64(bitPattern: frame.phash),
                                                  frame.width, frame.height, Data(frame.jpeg)])
            }
        case .audioSegments(let segments):
            let statement = try db.makeStatement(
                sql: "INSERT INTO audio_segments (video_id, stage, kind, start_s, end_s, loudness_db) VALUES (?, ?, ?, ?, ?, ?)")
            for segment in segments {
                let loudness = segment.loudnessDB.flatMap { $0.isFinite ? $0 : nil }
                try statement.execute(arguments: [videoID, stage, segment.kind, segment.startS, segment.endS, loudness])
            }
        case .transcript(let segments):
            try insertTranscript(segments, db, videoID: videoID, stage: stage)
        case .ocrTexts(let texts):
            try insertOCRTexts(texts, db, videoID: videoID, stage: stage)
        case .subtitleCues(let cues):
            try insertSubtitleCues(cues, db, videoID: videoID, stage: stage)
        case .captions(let captions):
            try insertCaptions(captions, db, videoID: videoID, stage: stage)
        case .embeddings(let embeddings):
            try insertEmbeddings(embeddings, db, videoID: videoID, stage: stage)
        case .timeline(let records):
            try insertTimeline(records, db, videoID: videoID, stage: stage)
        case .reasoning(let items):
            try insertReasoning(items, db, videoID: videoID, stage: stage)
        case .empty:
            break
        }
    }

    static func upsertStageResult(_ db: Database, videoID: Int64, stage: String, fingerprint: String,
                                  status: StageStatus, error: String?, elapsedSeconds: Double, note: String?) throws {
        try db.execute(
            sql: """
                INSERT INTO stage_results (video_id, stage, fingerprint, status, error, elapsed_s, finished_at, note)
                VALUES (?, ?, ?, ?, ?, ?, \(SchemaMigrations.nowSQL), ?)
                ON CONFLICT (video_id, stage) DO UPDATE SET
                    fingerprint = excluded.fingerprint, status = excluded.status, error = excluded.error,
                    elapsed_s = excluded.elapsed_s, finished_at = excluded.finished_at, note = excluded.note
                """,
            arguments: [videoID, stage, fingerprint, status.rawValue, error, elapsedSeconds, note])
    }
}
