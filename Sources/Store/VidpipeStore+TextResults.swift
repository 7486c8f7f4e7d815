import Foundation
import GRDB

/// Text outputs (transcripts, OCR, caption cues): their writes, which also feed the `search` index
/// in the same transaction, and their loaders.
extension VidpipeStore {
    static func insertTranscript(_ segments: [TranscriptRow], _ db: Database, videoID: Int64, stage: String) throws {
        let statement = try db.makeStatement(sql: """
            INSERT INTO transcript_segments (video_id, stage, start_s, end_s, text, confidence, words, language)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for segment in segments {
            try statement.execute(arguments: [videoID, stage, segment.startS, segment.endS, segment.text,
                                              finite(segment.confidence), segment.wordsJSON, segment.language])
            try index(db, text: segment.text, videoID: videoID, stage: stage, kind: "transcript",
                      refID: db.lastInsertedRowID, start: segment.startS, end: segment.endS)
        }
    }

    static func insertOCRTexts(_ texts: [OCRTextRow], _ db: Database, videoID: Int64, stage: String) throws {
        let statement = try db.makeStatement(sql: """
            INSERT INTO ocr_texts (video_id, stage, frame_id, t_s, text, confidence, boxes, reused_from_s)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let frames = try FrameIDLookup(db, videoID: videoID)
        for text in texts {
            let frameID = try text.frameID ?? frames.id(stage: text.frameStage, time: text.tS)
            try statement.execute(arguments: [videoID, stage, frameID, text.tS, text.text, finite(text.confidence),
                                              text.boxesJSON, text.reusedFromS])
            if !text.text.isEmpty {
                try index(db, text: text.text, videoID: videoID, stage: stage, kind: "ocr",
                          refID: db.lastInsertedRowID, start: text.tS, end: text.tS)
            }
        }
    }

    static func insertSubtitleCues(_ cues: [SubtitleCueRow], _ db: Database, videoID: Int64, stage: String) throws {
        let statement = try db.makeStatement(sql: """
            INSERT INTO subtitle_cues (video_id, stage, idx, start_s, end_s, text) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for cue in cues {
            try statement.execute(arguments: [videoID, stage, cue.idx, cue.startS, cue.endS, cue.text])
        }
    }

    /// Resolves (frames stage, time) to the id of the frame that stage stored there (to the half
    /// millisecond), for rows that describe a frame (OCR text, captions). One prepared statement per write.
    struct FrameIDLookup {
        private let statement: Statement
        private let videoID: Int64

        init(_ db: Database, videoID: Int64) throws {
            statement = try db.makeStatement(sql: """
                SELECT id FROM frames WHERE video_id = ? AND stage = ? AND abs(t_s - ?) < 0.0005 ORDER BY id LIMIT 1
                """)
            self.videoID = videoID
        }

        func id(stage: String?, time: Double) throws -> Int64? {
            guard let stage else { return nil }
            return try Int64.fetchOne(statement, arguments: [videoID, stage, time])
        }
    }

    /// Adds one row to the FTS5 index; `kind` is transcript, ocr, caption or reasoning.
    static func index(_ db: Database, text: String, videoID: Int64, stage: String, kind: String, refID: Int64,
                      start: Double, end: Double) throws {
        try db.execute(
            sql: "INSERT INTO search (text, video_id, stage, kind, ref_id, start_s, end_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [text, videoID, stage, kind, refID, start, end])
    }

    private static func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }

    // MARK: Loading

    public func transcript(videoID: Int64, stage: String) throws -> [TranscriptRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, start_s, end_s, text, confidence, words, language FROM transcript_segments
                WHERE video_id = ? AND stage = ? ORDER BY start_s, id
                """, arguments: [videoID, stage]).map {
                TranscriptRow(id: $0["id"], startS: $0["start_s"], endS: $0["end_s"], text: $0["text"],
                              confidence: $0["confidence"], wordsJSON: $0["words"], language: $0["language"])
            }
        }
    }

    public func ocrTexts(videoID: Int64, stage: String) throws -> [OCRTextRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, frame_id, t_s, text, confidence, boxes, reused_from_s FROM ocr_texts
                WHERE video_id = ? AND stage = ? ORDER BY t_s, id
                """, arguments: [videoID, stage]).map {
                OCRTextRow(id: $0["id"], frameStage: nil, frameID: $0["frame_id"], tS: $0["t_s"], text: $0["text"],
                           confidence: $0["confidence"], boxesJSON: $0["boxes"], reusedFromS: $0["reused_from_s"])
            }
        }
    }

    public func subtitleCues(videoID: Int64, stage: String) throws -> [SubtitleCueRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT idx, start_s, end_s, text FROM subtitle_cues WHERE video_id = ? AND stage = ? ORDER BY idx
                """, arguments: [videoID, stage]).map {
                SubtitleCueRow(idx: $0["idx"], startS: $0["start_s"], endS: $0["end_s"], text: $0["text"])
            }
        }
    }

    /// The stages that stored caption cues for a video, most recently finished first.
    public func subtitleStages(videoID: Int64) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT r.stage FROM stage_results r
                WHERE r.video_id = ? AND r.status = 'done'
                  AND EXISTS (SELECT 1 FROM subtitle_cues c WHERE c.video_id = r.video_id AND c.stage = r.stage)
                ORDER BY r.finished_at DESC, r.stage
                """, arguments: [videoID])
        }
    }
}
