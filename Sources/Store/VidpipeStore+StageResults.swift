import Foundation
import GRDB
import Records

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
    /// output table (and `search`), insert `output`'s records (nil: a stage that writes none), and
    /// upsert `stage_results` as done with `fingerprint`, `elapsedSeconds`, `finished_at` = now, no
    /// error, and `note`. `frameStage` names the frames stage that records describing a frame (OCR
    /// text, captions) point into. If anything throws, the previous result stays exactly as it was.
    public func replaceStageResult(videoID: Int64, stage: String, fingerprint: String, elapsedSeconds: Double,
                                   output: StageOutput?, frameStage: String? = nil, note: String? = nil) throws {
        try pool.write { db in
            try Self.deleteOutputs(db, videoID: videoID, stage: stage)
            if let output {
                if case .embeddings(let vectors) = output { try Self.checkDimensions(db, vectors) }
                let frames = try FrameIDLookup(db, videoID: videoID, stage: frameStage)
                for record in output.records {
                    // Every StageRecord type is a StoredRecord (StoredRecords.types; a test checks each kind).
                    try (record as! any StoredRecord).insert(db, videoID: videoID, stage: stage, frames: frames)
                }
            }
            try Self.upsertStageResult(db, videoID: videoID, stage: stage, fingerprint: fingerprint, status: .done,
                                       error: nil, elapsedSeconds: elapsedSeconds, note: note)
            StoreFaults.afterStageWrite()
        }
        StoreFaults.afterCommit()
    }

    /// Vectors of one model share one dimension across the store (search compares them with each other):
    /// a result whose vectors disagree with those stored for their model is refused.
    static func checkDimensions(_ db: Database, _ vectors: [Embedding]) throws {
        var dims: [String: Int] = [:]
        for vector in vectors where !vector.vector.isEmpty { dims[vector.model] = dims[vector.model] ?? vector.vector.count }
        for (model, dim) in dims {
            if let odd = vectors.first(where: { $0.model == model && !$0.vector.isEmpty && $0.vector.count != dim }) {
                throw StoreError.embeddingDimension(model: model, stored: dim, got: odd.vector.count)
            }
            // Two seeks on embeddings_model_dim (a `dim != ?` would walk every vector row of the model).
            let other = try Int.fetchOne(db, sql: "SELECT dim FROM embeddings WHERE model = ? AND dim < ? LIMIT 1",
                                         arguments: [model, dim])
                ?? Int.fetchOne(db, sql: "SELECT dim FROM embeddings WHERE model = ? AND dim > ? LIMIT 1", arguments: [model, dim])
            if let stored = other {
                throw StoreError.embeddingDimension(model: model, stored: stored, got: dim)
            }
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
            StoreFaults.afterStageWrite()
        }
        StoreFaults.afterCommit()
    }

    // MARK: Reading results back

    /// A stage's stored output for a video, as the stage produced it; nil for `media`.
    public func output(_ kind: DataKind, videoID: Int64, stage: String) throws -> StageOutput? {
        guard let type = StoredRecords.type(of: kind) else { return nil }
        let records = try pool.read { db in try type.fetch(db, videoID: videoID, stage: stage) }
        return StageOutput(kind: kind, records: records)
    }

    /// The records of one kind a stage stored for a video, in the stage's order.
    public func records<R: StageRecord>(_ type: R.Type, videoID: Int64, stage: String) throws -> [R] {
        try output(R.kind, videoID: videoID, stage: stage)?.records.compactMap { $0 as? R } ?? []
    }

    /// The stages that stored records of `kind` for a video and are done, most recently finished first.
    public func stages(storing kind: DataKind, videoID: Int64) throws -> [String] {
        guard let table = StoredRecords.type(of: kind)?.table else { return [] }
        return try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT r.stage FROM stage_results r
                WHERE r.video_id = ? AND r.status = ?
                  AND EXISTS (SELECT 1 FROM \(table) t WHERE t.video_id = r.video_id AND t.stage = r.stage)
                ORDER BY r.finished_at DESC, r.stage
                """, arguments: [videoID, StageStatus.done.rawValue])
        }
    }

    // MARK: Write helpers (run inside the caller's transaction)

    /// Per-video output tables that a stage result replaces, and the search index.
    static var outputTables: [String] { StoredRecords.types.map { $0.table } + ["search"] }

    static func deleteOutputs(_ db: Database, videoID: Int64, stage: String) throws {
        for table in outputTables {
            try db.execute(sql: "DELETE FROM \(table) WHERE video_id = ? AND stage = ?", arguments: [videoID, stage])
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

    /// Resolves a frame's time to the id of the frame the frames stage stored there (to the half
    /// millisecond), for records that describe a frame (OCR text, captions). One prepared statement per write.
    struct FrameIDLookup {
        private let statement: Statement?
        private let videoID: Int64
        private let stage: String?

        init(_ db: Database, videoID: Int64, stage: String?) throws {
            statement = stage == nil ? nil : try db.makeStatement(sql: """
                SELECT id FROM frames WHERE video_id = ? AND stage = ? AND abs(t_s - ?) < 0.0005 ORDER BY id LIMIT 1
                """)
            self.videoID = videoID
            self.stage = stage
        }

        func id(time: Double) throws -> Int64? {
            guard let statement, let stage else { return nil }
            return try Int64.fetchOne(statement, arguments: [videoID, stage, time])
        }
    }
}
