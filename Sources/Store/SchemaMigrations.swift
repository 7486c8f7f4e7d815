import Records
import GRDB

/// The store's schema, as an ordered list of GRDB migrations.
///
/// The schema is a public interface (docs/schema.md). A migration never changes once it has
/// shipped; every later change is a new migration appended here.
enum SchemaMigrations {
    /// Identifiers in application order; the last one is `VidpipeStore.schemaVersion`.
    static let identifiers = ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        let statements = [v1, v2, v3, v4, v5, v6, v7, v8]
        for (identifier, sql) in zip(identifiers, statements) {
            migrator.registerMigration(identifier) { db in
                for statement in sql { try db.execute(sql: statement) }
            }
        }
        return migrator
    }

    /// SQL expression for "now" as ISO 8601 UTC with milliseconds.
    static let nowSQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

    /// v8 (issue 16): the model identity each model stage's fingerprint was made with (a digest, model-file
    /// metadata, a checkpoint root), one row per (stage, fingerprint), so `vidpipe status` can name stored
    /// results made by a model that is no longer the one served; and an index on the embeddings' model and
    /// dimension, so the check that one model keeps one dimension is two index seeks, not a table scan.
    static let v8: [String] = [
        """
        CREATE TABLE model_identities (
            stage       TEXT    NOT NULL,
            fingerprint TEXT    NOT NULL,
            provider    TEXT    NOT NULL,
            model       TEXT    NOT NULL,
            identity    TEXT    NOT NULL,
            fresh       INTEGER NOT NULL DEFAULT 1,
            first_seen_at TEXT  NOT NULL,
            seen_at     TEXT    NOT NULL,
            PRIMARY KEY (stage, fingerprint)
        )
        """,
        "CREATE INDEX model_identities_model ON model_identities (provider, model, seen_at)",
        "CREATE INDEX embeddings_model_dim ON embeddings (model, dim)",
    ]

    /// v7 (issue 15): a cue number is unique per language, not per stage, so one `captions.translate`
    /// stage keeps cue 1 in German and cue 1 in French: `subtitle_cues` is rebuilt with the unique
    /// index `subtitle_cues_cue` on (video_id, stage, language, idx) (the video's own cues, language
    /// NULL, count as one language), rows and ids kept.
    static let v7: [String] = [
        """
        CREATE TABLE subtitle_cues_v7 (
            id       INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            idx      INTEGER NOT NULL,
            start_s  REAL    NOT NULL,
            end_s    REAL    NOT NULL,
            text     TEXT    NOT NULL,
            language TEXT
        )
        """,
        """
        INSERT INTO subtitle_cues_v7 (id, video_id, stage, idx, start_s, end_s, text, language)
        SELECT id, video_id, stage, idx, start_s, end_s, text, language FROM subtitle_cues
        """,
        "DROP TABLE subtitle_cues",
        "ALTER TABLE subtitle_cues_v7 RENAME TO subtitle_cues",
        "CREATE UNIQUE INDEX subtitle_cues_cue ON subtitle_cues (video_id, stage, coalesce(language, ''), idx)",
    ]

    /// v6 (issue 15): the language of each subtitle cue (NULL: the video's own, as transcribed; a code
    /// such as `de` for cues `captions.translate` wrote), and the conversations `vidpipe ask` keeps
    /// (`--continue`, the interactive session): one row a conversation, about one video or, with a NULL
    /// video, about the whole archive (`ask --all`), and its turns in order. A `summary` turn stands for
    /// older turns folded to fit the model's context.
    static let v6: [String] = [
        "ALTER TABLE subtitle_cues ADD COLUMN language TEXT",
        """
        CREATE TABLE conversations (
            id         INTEGER PRIMARY KEY,
            video_id   INTEGER REFERENCES videos(id) ON DELETE CASCADE,
            provider   TEXT    NOT NULL,
            model      TEXT    NOT NULL,
            created_at TEXT    NOT NULL,
            updated_at TEXT    NOT NULL
        )
        """,
        "CREATE INDEX conversations_video ON conversations (video_id, updated_at)",
        """
        CREATE TABLE conversation_turns (
            id              INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            idx             INTEGER NOT NULL,
            role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'summary')),
            text            TEXT    NOT NULL,
            citations       TEXT,
            created_at      TEXT    NOT NULL,
            UNIQUE (conversation_id, idx)
        )
        """,
    ]

    /// v5 (issue 13): the shard a run processed (`--shard I/N`, or resolved from the scheduler by
    /// `--shard auto`); NULL for a run over every file.
    static let v5: [String] = [
        "ALTER TABLE runs ADD COLUMN shard_index INTEGER",
        "ALTER TABLE runs ADD COLUMN shard_count INTEGER",
    ]

    /// v4 (issue 7): the spoken language of each transcript segment (ISO 639-1 code as the speech
    /// engine reports or was told it; NULL when the engine does not say).
    static let v4: [String] = [
        "ALTER TABLE transcript_segments ADD COLUMN language TEXT",
    ]

    /// v3 (issue 5): model outputs. Caption reuse, times and text on embeddings, the fused per-shot
    /// timeline, item index and times on reasoning outputs, and the model-call ledger that doubles
    /// as the response cache (kept across stage reruns: it is keyed by request, not by video).
    static let v3: [String] = [
        "ALTER TABLE captions ADD COLUMN reused_from_s REAL",
        "ALTER TABLE embeddings ADD COLUMN start_s REAL",
        "ALTER TABLE embeddings ADD COLUMN end_s REAL",
        "ALTER TABLE embeddings ADD COLUMN text TEXT",
        "ALTER TABLE reasoning_outputs ADD COLUMN idx INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE reasoning_outputs ADD COLUMN start_s REAL",
        "ALTER TABLE reasoning_outputs ADD COLUMN end_s REAL",
        """
        CREATE TABLE timeline_shots (
            id         INTEGER PRIMARY KEY,
            video_id   INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage      TEXT    NOT NULL,
            idx        INTEGER NOT NULL,
            start_s    REAL    NOT NULL,
            end_s      REAL    NOT NULL,
            keyframe_s REAL,
            record     TEXT    NOT NULL,
            UNIQUE (video_id, stage, idx)
        )
        """,
        """
        CREATE TABLE model_calls (
            id                INTEGER PRIMARY KEY,
            request_hash      TEXT    NOT NULL UNIQUE,
            provider          TEXT    NOT NULL,
            endpoint          TEXT    NOT NULL,
            model             TEXT    NOT NULL,
            prompt_tokens     INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            total_tokens      INTEGER NOT NULL DEFAULT 0,
            elapsed_s         REAL    NOT NULL DEFAULT 0,
            response          BLOB    NOT NULL,
            created_at        TEXT    NOT NULL
        )
        """,
    ]

    /// v2 (issue 4): word timings on transcripts, boxes and reuse on OCR text, caption cues.
    static let v2: [String] = [
        "ALTER TABLE transcript_segments ADD COLUMN words TEXT",
        "ALTER TABLE ocr_texts ADD COLUMN boxes TEXT",
        "ALTER TABLE ocr_texts ADD COLUMN reused_from_s REAL",
        """
        CREATE TABLE subtitle_cues (
            id       INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            idx      INTEGER NOT NULL,
            start_s  REAL    NOT NULL,
            end_s    REAL    NOT NULL,
            text     TEXT    NOT NULL,
            UNIQUE (video_id, stage, idx)
        )
        """,
    ]

    static let v1: [String] = [
        """
        CREATE TABLE videos (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            path        TEXT    NOT NULL UNIQUE,
            fingerprint TEXT    NOT NULL UNIQUE,
            size_bytes  INTEGER NOT NULL,
            mtime_ns    INTEGER NOT NULL,
            duration_s  REAL,
            width       INTEGER,
            height      INTEGER,
            fps         REAL,
            video_codec TEXT,
            audio_codec TEXT,
            container   TEXT,
            rotation    INTEGER,
            has_video   INTEGER NOT NULL DEFAULT 0 CHECK (has_video IN (0, 1)),
            has_audio   INTEGER NOT NULL DEFAULT 0 CHECK (has_audio IN (0, 1)),
            status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
            error       TEXT,
            warnings    TEXT,
            updated_at  TEXT    NOT NULL
        )
        """,
        """
        CREATE TABLE runs (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            pipeline_name TEXT    NOT NULL,
            pipeline_hash TEXT    NOT NULL,
            started_at    TEXT    NOT NULL,
            finished_at   TEXT,
            status        TEXT    NOT NULL DEFAULT 'running'
                          CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
            videos_done   INTEGER NOT NULL DEFAULT 0,
            videos_failed INTEGER NOT NULL DEFAULT 0
        )
        """,
        """
        CREATE TABLE stage_results (
            video_id    INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage       TEXT    NOT NULL,
            fingerprint TEXT    NOT NULL,
            status      TEXT    NOT NULL CHECK (status IN ('done', 'failed', 'skipped')),
            error       TEXT,
            elapsed_s   REAL    NOT NULL DEFAULT 0,
            finished_at TEXT    NOT NULL,
            note        TEXT,
            UNIQUE (video_id, stage)
        )
        """,
        """
        CREATE TABLE shots (
            id       INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            idx      INTEGER NOT NULL,
            start_s  REAL    NOT NULL,
            end_s    REAL    NOT NULL,
            UNIQUE (video_id, stage, idx)
        )
        """,
        """
        CREATE TABLE frames (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            t_s      REAL    NOT NULL,
            shot_idx INTEGER,
            phash    INTEGER NOT NULL,
            width    INTEGER NOT NULL,
            height   INTEGER NOT NULL,
            jpeg     BLOB    NOT NULL
        )
        """,
        "CREATE INDEX frames_video_stage ON frames (video_id, stage, t_s)",
        """
        CREATE TABLE audio_segments (
            id          INTEGER PRIMARY KEY,
            video_id    INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage       TEXT    NOT NULL,
            kind        TEXT    NOT NULL CHECK (kind IN ('speech', 'silence')),
            start_s     REAL    NOT NULL,
            end_s       REAL    NOT NULL,
            loudness_db REAL
        )
        """,
        "CREATE INDEX audio_segments_video_stage ON audio_segments (video_id, stage, start_s)",
        """
        CREATE TABLE transcript_segments (
            id         INTEGER PRIMARY KEY,
            video_id   INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage      TEXT    NOT NULL,
            start_s    REAL    NOT NULL,
            end_s      REAL    NOT NULL,
            text       TEXT    NOT NULL,
            confidence REAL
        )
        """,
        "CREATE INDEX transcript_segments_video_stage ON transcript_segments (video_id, stage, start_s)",
        """
        CREATE TABLE ocr_texts (
            id         INTEGER PRIMARY KEY,
            video_id   INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage      TEXT    NOT NULL,
            frame_id   INTEGER REFERENCES frames(id) ON DELETE SET NULL,
            t_s        REAL    NOT NULL,
            text       TEXT    NOT NULL,
            confidence REAL
        )
        """,
        "CREATE INDEX ocr_texts_video_stage ON ocr_texts (video_id, stage, t_s)",
        "CREATE INDEX ocr_texts_frame ON ocr_texts (frame_id)",
        """
        CREATE TABLE captions (
            id       INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            frame_id INTEGER REFERENCES frames(id) ON DELETE SET NULL,
            start_s  REAL    NOT NULL,
            end_s    REAL    NOT NULL,
            text     TEXT    NOT NULL,
            model    TEXT
        )
        """,
        "CREATE INDEX captions_video_stage ON captions (video_id, stage, start_s)",
        "CREATE INDEX captions_frame ON captions (frame_id)",
        """
        CREATE TABLE reasoning_outputs (
            id       INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            task     TEXT    NOT NULL,
            text     TEXT,
            json     TEXT,
            model    TEXT
        )
        """,
        "CREATE INDEX reasoning_outputs_video_stage ON reasoning_outputs (video_id, stage)",
        """
        CREATE TABLE embeddings (
            id       INTEGER PRIMARY KEY,
            video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
            stage    TEXT    NOT NULL,
            ref_kind TEXT    NOT NULL,
            ref_id   INTEGER,
            model    TEXT,
            dim      INTEGER NOT NULL CHECK (dim > 0),
            vector   BLOB    NOT NULL CHECK (length(vector) = 4 * dim)
        )
        """,
        "CREATE INDEX embeddings_video_stage ON embeddings (video_id, stage)",
        """
        CREATE VIRTUAL TABLE search USING fts5(
            text,
            video_id UNINDEXED,
            stage UNINDEXED,
            kind UNINDEXED,
            ref_id UNINDEXED,
            start_s UNINDEXED,
            end_s UNINDEXED,
            tokenize = 'unicode61 remove_diacritics 2'
        )
        """,
        // FTS5 tables take no foreign keys: remove a deleted video's search rows by trigger.
        """
        CREATE TRIGGER videos_delete_search AFTER DELETE ON videos BEGIN
            DELETE FROM search WHERE video_id = old.id;
        END
        """,
    ]
}
