import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

@Suite struct SchemaTests {
    /// DESIGN.md's minimum columns plus the additions the store promises (docs/schema.md).
    static let expectedColumns: [String: [String]] = [
        "videos": ["id", "path", "fingerprint", "size_bytes", "mtime_ns", "duration_s", "width", "height", "fps",
                   "video_codec", "audio_codec", "container", "rotation", "has_video", "has_audio", "status", "error",
                   "warnings", "updated_at"],
        "runs": ["id", "pipeline_name", "pipeline_hash", "started_at", "finished_at", "status", "videos_done",
                 "videos_failed", "shard_index", "shard_count"],
        "stage_results": ["video_id", "stage", "fingerprint", "status", "error", "elapsed_s", "finished_at", "note"],
        "shots": ["id", "video_id", "stage", "idx", "start_s", "end_s"],
        "frames": ["id", "video_id", "stage", "t_s", "shot_idx", "phash", "width", "height", "jpeg"],
        "audio_segments": ["id", "video_id", "stage", "kind", "start_s", "end_s", "loudness_db"],
        "transcript_segments": ["id", "video_id", "stage", "start_s", "end_s", "text", "confidence", "words", "language"],
        "ocr_texts": ["id", "video_id", "stage", "frame_id", "t_s", "text", "confidence", "boxes", "reused_from_s"],
        "captions": ["id", "video_id", "stage", "frame_id", "start_s", "end_s", "text", "model", "reused_from_s"],
        "reasoning_outputs": ["id", "video_id", "stage", "task", "text", "json", "model", "idx", "start_s", "end_s"],
        "embeddings": ["id", "video_id", "stage", "ref_kind", "ref_id", "model", "dim", "vector", "start_s", "end_s", "text"],
        "timeline_shots": ["id", "video_id", "stage", "idx", "start_s", "end_s", "keyframe_s", "record"],
        "model_calls": ["id", "request_hash", "provider", "endpoint", "model", "prompt_tokens", "completion_tokens",
                        "total_tokens", "elapsed_s", "response", "created_at"],
        "search": ["text", "video_id", "stage", "kind", "ref_id", "start_s", "end_s"],
        "subtitle_cues": ["id", "video_id", "stage", "idx", "start_s", "end_s", "text", "language"],
        "model_identities": ["stage", "fingerprint", "provider", "model", "identity", "fresh", "first_seen_at", "seen_at"],
        "conversations": ["id", "video_id", "provider", "model", "created_at", "updated_at"],
        "conversation_turns": ["id", "conversation_id", "idx", "role", "text", "citations", "created_at"],
    ]

    @Test func migrationsCreateEveryTableWithItsColumns() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("nested/dir/store.sqlite"))
        #expect(FileManager.default.fileExists(atPath: dir.path("nested/dir/store.sqlite")))
        try store.pool.read { db in
            let tables = try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
            for (table, columns) in Self.expectedColumns {
                #expect(tables.contains(table), "missing table \(table)")
                let actual = try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
                    .map { $0["name"] as String }
                #expect(actual == columns, "columns of \(table)")
            }
            let searchSQL = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'search'")
            #expect(searchSQL?.contains("fts5") == true)
            let indexes = try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
            for table in ["frames", "audio_segments", "transcript_segments", "ocr_texts", "captions",
                          "reasoning_outputs", "embeddings"] {
                #expect(indexes.contains("\(table)_video_stage"), "missing (video_id, stage) index on \(table)")
            }
            let migrations = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            #expect(migrations == ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"])
        }
        #expect(VidpipeStore.schemaVersion == "v8")
    }

    @Test func walModeAndForeignKeysAreOn() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let (journal, foreignKeys) = try store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
    }

    @Test func reopeningAnExistingStoreKeepsData() throws {
        let dir = try TemporaryDirectory()
        let id = try VidpipeStore(path: dir.path("store.sqlite"))
            .registerVideo(path: "/v/a.mp4", fingerprint: "fp-a", sizeBytes: 10, mtimeNs: 1).id
        let reopened = try VidpipeStore(path: dir.path("store.sqlite"))
        #expect(try reopened.video(id: id)?.path == "/v/a.mp4")
    }

    @Test func checkConstraintsRejectUnknownStatuses() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp-a", sizeBytes: 10, mtimeNs: 1)
        #expect(throws: DatabaseError.self) {
            try store.pool.write { db in
                try db.execute(sql: "UPDATE videos SET status = 'weird' WHERE id = ?", arguments: [video.id])
            }
        }
        #expect(throws: DatabaseError.self) {
            try store.pool.write { db in
                try db.execute(sql: "INSERT INTO audio_segments (video_id, stage, kind, start_s, end_s) VALUES (?, 's', 'music', 0, 1)",
                               arguments: [video.id])
            }
        }
    }
}
