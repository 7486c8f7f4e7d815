import Foundation
import GRDB
import Records
#if canImport(Glibc)
import Glibc
#endif

/// One video as a library listing shows it: the row, each stage's state, and a still to show.
public struct LibraryEntry: Sendable, Equatable {
    public var video: VideoRow
    /// Stage name → its stored state, for every stage with a result.
    public var stages: [String: StageStatus]
    /// A stored frame near a third of the way in (any frames stage), for a thumbnail.
    public var thumbnailFrameID: Int64?
}

/// How a library listing is ordered.
public enum LibrarySort: String, Sendable, CaseIterable {
    /// By path (folders, then file names).
    case name
    /// By the file's modification time, newest first.
    case date
    /// By duration, longest first (unknown durations last).
    case duration
}

/// A stored frame without its JPEG: what a page needs to link to it.
public struct FrameReference: Sendable, Equatable {
    public var id: Int64
    public var stage: String
    public var time: Double
    public var shotIndex: Int?
}

extension VidpipeStore {
    /// One page of the library, and the number of videos in all. Two queries whatever the page
    /// size: the page itself (by an index for `name`), then the stage states and stills of its videos.
    public func library(sort: LibrarySort, offset: Int, limit: Int) throws -> (entries: [LibraryEntry], total: Int) {
        let order: String
        switch sort {
        case .name: order = "path"
        case .date: order = "mtime_ns DESC, path"
        case .duration: order = "duration_s IS NULL, duration_s DESC, path"
        }
        return try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM videos") ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT \(VideoRow.selectColumns) FROM videos ORDER BY \(order) LIMIT ? OFFSET ?",
                arguments: [max(0, limit), max(0, offset)]
            ).map(VideoRow.init(row:))
            guard !rows.isEmpty else { return ([], total) }
            let ids = rows.map(\.id)
            let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
            var stages: [Int64: [String: StageStatus]] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT video_id, stage, status FROM stage_results WHERE video_id IN (\(placeholders))",
                arguments: StatementArguments(ids)) {
                if let status = StageStatus(rawValue: row["status"]) { stages[row["video_id"], default: [:]][row["stage"]] = status }
            }
            // The still nearest a third of the way in: frame times only (no JPEGs), by the (video, stage, t) index.
            var stills: [Int64: (id: Int64, distance: Double)] = [:]
            let thirds = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, ($0.durationS ?? 0) / 3) })
            for row in try Row.fetchAll(
                db, sql: "SELECT video_id, id, t_s FROM frames WHERE video_id IN (\(placeholders))",
                arguments: StatementArguments(ids)) {
                let video: Int64 = row["video_id"], id: Int64 = row["id"], time: Double = row["t_s"]
                let distance = abs(time - (thirds[video] ?? 0))
                if let best = stills[video], (best.distance, best.id) <= (distance, id) { continue }
                stills[video] = (id, distance)
            }
            let entries = rows.map { LibraryEntry(video: $0, stages: stages[$0.id] ?? [:], thumbnailFrameID: stills[$0.id]?.id) }
            return (entries, total)
        }
    }

    /// A stored frame's JPEG and the video it belongs to; nil for an unknown id.
    public func frameJPEG(id: Int64) throws -> (videoID: Int64, jpeg: Data)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT video_id, jpeg FROM frames WHERE id = ?", arguments: [id])
                .map { ($0["video_id"], $0["jpeg"]) }
        }
    }

    /// The frames a stage stored for a video, in time order, without their JPEGs.
    public func frameReferences(videoID: Int64, stage: String) throws -> [FrameReference] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, stage, t_s, shot_idx FROM frames WHERE video_id = ? AND stage = ? ORDER BY t_s, id",
                arguments: [videoID, stage]
            ).map { FrameReference(id: $0["id"], stage: $0["stage"], time: $0["t_s"], shotIndex: $0["shot_idx"]) }
        }
    }
}

extension VidpipeStore {
    /// Videos by status (what the library page counts at its top).
    public func videoCounts() throws -> StatusReport.VideoCounts {
        try pool.read { db in
            var counts: [VideoStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) AS n FROM videos GROUP BY status") {
                if let status = VideoStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return StatusReport.VideoCounts(done: counts[.done] ?? 0, failed: counts[.failed] ?? 0, pending: counts[.pending] ?? 0)
        }
    }
}

extension VidpipeStore {
    /// Writes a consistent copy of the store to `destination` atomically: `VACUUM INTO` a temporary
    /// file next to it, flushed to disk, then renamed over it, so a reader of `destination` (a
    /// shared file system where other tasks look) sees the old copy or the new one, never half.
    /// Works while a run writes the store (the copy is one read transaction's view).
    public func snapshot(into destination: String) throws {
        let target = URL(fileURLWithPath: destination).standardizedFileURL
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try pool.unsafeRead { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temporary]) }
            try Self.flush(temporary)
            guard rename(temporary, target.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path,
                                                             NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
            try? Self.flush(target.deletingLastPathComponent().path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// fsync of a file or folder.
    static func flush(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: path]) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}
