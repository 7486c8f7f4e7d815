import Records
import Foundation
import GRDB

extension VidpipeStore {
    /// The row last registered for this path if the file's size and mtime still match (its
    /// fingerprint is then taken as unchanged), else nil. A read only: an unchanged video costs a
    /// no-op rerun one query, no write transaction.
    public func knownVideo(path: String, sizeBytes: Int64, mtimeNs: Int64) throws -> VideoRow? {
        try pool.read { db in
            try Row.fetchOne(
                db, sql: """
                    SELECT \(VideoRow.selectColumns) FROM videos
                    WHERE path = ? AND size_bytes = ? AND mtime_ns = ? AND fingerprint NOT LIKE '\(Self.unreadablePrefix)%'
                    """,
                arguments: [path, sizeBytes, mtimeNs]).map(VideoRow.init(row:))
        }
    }

    /// The video with this content fingerprint, wherever it is.
    public func video(fingerprint: String) throws -> VideoRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE fingerprint = ?",
                             arguments: [fingerprint]).map(VideoRow.init(row:))
        }
    }

    /// Deletes the row registered at `path` with its results, if any (the file there now holds
    /// content the store keeps under another path).
    public func forgetVideo(path: String) throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM videos WHERE path = ?", arguments: [path]) }
    }

    /// The fingerprint of a file that could not be read: a stand-in, unique by path, never taken as
    /// content (`knownVideo` skips it, so the next run tries the file again).
    public static let unreadablePrefix = "unreadable:"

    /// Records a file found on this run that cannot be read (permission denied, I/O error) as a
    /// failed video with the reason, in one transaction. Any earlier row at this path is replaced:
    /// the file there changed (its size or mtime differ) and its content cannot be known. When the
    /// file becomes readable, `registerVideo` replaces this row by the real one.
    @discardableResult
    public func recordUnreadable(path: String, sizeBytes: Int64, mtimeNs: Int64, error: String) throws -> VideoRow {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM videos WHERE path = ?", arguments: [path])
            try db.execute(
                sql: """
                    INSERT INTO videos (path, fingerprint, size_bytes, mtime_ns, status, error, updated_at)
                    VALUES (?, ?, ?, ?, 'failed', ?, \(SchemaMigrations.nowSQL))
                    """,
                arguments: [path, Self.unreadablePrefix + path, sizeBytes, mtimeNs, error])
            let row = try Row.fetchOne(
                db, sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE id = ?", arguments: [db.lastInsertedRowID])
            return VideoRow(row: row!)
        }
    }

    /// Registers a file found on this run, in one transaction.
    ///
    /// - Same fingerprint already known (renamed, moved or copied file): that row, with path, size
    ///   and mtime updated; its results are kept.
    /// - A row at this path with another fingerprint (file replaced by different content): that
    ///   row is deleted with all its results (cascade), and the new content gets its own row.
    public func registerVideo(path: String, fingerprint: String, sizeBytes: Int64, mtimeNs: Int64) throws -> VideoRow {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM videos WHERE path = ? AND fingerprint <> ?", arguments: [path, fingerprint])
            try db.execute(
                sql: """
                    INSERT INTO videos (path, fingerprint, size_bytes, mtime_ns, status, updated_at)
                    VALUES (?, ?, ?, ?, 'pending', \(SchemaMigrations.nowSQL))
                    ON CONFLICT (fingerprint) DO UPDATE SET
                        path = excluded.path, size_bytes = excluded.size_bytes,
                        mtime_ns = excluded.mtime_ns, updated_at = excluded.updated_at
                    """,
                arguments: [path, fingerprint, sizeBytes, mtimeNs])
            let row = try Row.fetchOne(
                db, sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE fingerprint = ?", arguments: [fingerprint])
            // The row was just inserted or updated in this transaction.
            return VideoRow(row: row!)
        }
    }

    /// Writes what probing found.
    public func recordProbe(videoID: Int64, _ probe: ProbeFields) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE videos SET duration_s = ?, width = ?, height = ?, fps = ?, video_codec = ?,
                        audio_codec = ?, container = ?, has_video = ?, has_audio = ?, rotation = ?,
                        updated_at = \(SchemaMigrations.nowSQL)
                    WHERE id = ?
                    """,
                arguments: [probe.durationS, probe.width, probe.height, probe.fps, probe.videoCodec,
                            probe.audioCodec, probe.container, probe.hasVideo, probe.hasAudio, probe.rotation,
                            videoID])
            if db.changesCount == 0 { throw StoreError.videoNotFound(id: videoID) }
        }
    }

    /// Sets a video's overall status, error and warnings (stored as a JSON array, NULL when empty).
    public func setVideoStatus(videoID: Int64, status: VideoStatus, error: String?, warnings: [String]) throws {
        let warningsJSON: String? = warnings.isEmpty
            ? nil : String(decoding: try JSONEncoder().encode(warnings), as: UTF8.self)
        try pool.write { db in
            try db.execute(
                sql: "UPDATE videos SET status = ?, error = ?, warnings = ?, updated_at = \(SchemaMigrations.nowSQL) WHERE id = ?",
                arguments: [status.rawValue, error, warningsJSON, videoID])
            if db.changesCount == 0 { throw StoreError.videoNotFound(id: videoID) }
        }
    }

    public func video(id: Int64) throws -> VideoRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE id = ?", arguments: [id])
                .map(VideoRow.init(row:))
        }
    }

    /// All videos, ordered by path.
    public func videos() throws -> [VideoRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(VideoRow.selectColumns) FROM videos ORDER BY path")
                .map(VideoRow.init(row:))
        }
    }

    /// A video by numeric id, by absolute or relative path (resolved against the current
    /// directory), or by unique path suffix or file name. Throws
    /// `StoreError.ambiguousVideoReference` when a suffix matches several videos.
    public func findVideo(_ reference: String) throws -> VideoRow? {
        let absolute = URL(fileURLWithPath: reference).standardizedFileURL.path
        return try pool.read { db in
            if let id = Int64(reference),
               let row = try Row.fetchOne(db, sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE id = ?", arguments: [id]) {
                return VideoRow(row: row)
            }
            if let row = try Row.fetchOne(
                db, sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE path IN (?, ?)", arguments: [reference, absolute]) {
                return VideoRow(row: row)
            }
            let suffix = reference.hasPrefix("/") ? reference : "/" + reference
            let candidates = try Row.fetchAll(
                db,
                sql: "SELECT \(VideoRow.selectColumns) FROM videos WHERE substr(path, -length(?)) = ? ORDER BY path",
                arguments: [suffix, suffix]
            ).map(VideoRow.init(row:))
            if candidates.count > 1 {
                throw StoreError.ambiguousVideoReference(reference, candidates: candidates.map(\.path))
            }
            return candidates.first
        }
    }
}
