import Foundation
import GRDB
import Records
#if canImport(Glibc)
import Glibc
#endif

/// What a merge does when the target and a shard both hold a finished result (done or skipped) of
/// one stage of one video, computed under different stage fingerprints.
public enum ConflictPolicy: String, Sendable, CaseIterable {
    /// The result with the later `stage_results.finished_at` (the target's on a tie).
    case newer
    /// The target's result.
    case keep
    /// Neither: a shard with a conflict is not merged, and the merge fails.
    case fail
}

/// The store a merged row comes from.
public enum MergeSide: String, Codable, Sendable {
    case target, shard
}

/// Two results of one stage of one video, under different fingerprints; `kept` says which stays.
public struct MergeConflict: Codable, Sendable, Equatable {
    public var path: String
    public var stage: String
    public var kept: MergeSide
    public var shard: String
}

/// A path the target and a shard give to different content (the file changed between the runs):
/// the row with the later `updated_at` keeps the path, with its results.
public struct ReplacedPath: Codable, Sendable, Equatable {
    public var path: String
    public var kept: MergeSide
    public var shard: String
}

/// What merging one shard did.
public struct ShardMergeReport: Codable, Sendable, Equatable {
    public var path: String
    /// Videos in the shard.
    public var videos = 0
    public var videosAdded = 0
    /// Target videos that took a row or a stage result from the shard.
    public var videosUpdated = 0
    /// (video, stage) results copied from the shard.
    public var stagesCopied = 0
    public var modelCallsAdded = 0
    public var runsAdded = 0
    public var conflicts: [MergeConflict] = []
    public var pathsReplaced: [ReplacedPath] = []

    public init(path: String) { self.path = path }

    enum CodingKeys: String, CodingKey {
        case path, videos, conflicts
        case videosAdded = "videos_added", videosUpdated = "videos_updated", stagesCopied = "stages_copied"
        case modelCallsAdded = "model_calls_added", runsAdded = "runs_added", pathsReplaced = "paths_replaced"
    }
}

/// Why a shard cannot be merged.
public enum MergeError: Error, Equatable, CustomStringConvertible {
    case unreadableShard(path: String, reason: String)
    case shardIsTarget(path: String)
    case shardInUse(path: String)
    /// With `--on-conflict fail`: the shard's conflicts with the target; nothing of the shard was merged.
    case conflicts(shard: String, [MergeConflict])

    public var description: String {
        switch self {
        case .unreadableShard(let path, let reason):
            return "cannot read the shard \(path): \(reason)"
        case .shardIsTarget(let path):
            return "\(path) is the store being merged into; give each shard once and another file with --into"
        case .shardInUse(let path):
            return "a vidpipe run is writing \(path) now; merge it when that run has finished"
        case .conflicts(let shard, let conflicts):
            let shown = conflicts.prefix(3).map { "\($0.path) (\($0.stage))" }.joined(separator: ", ")
            return "\(shard) has \(conflicts.count) conflicting stage result\(conflicts.count == 1 ? "" : "s") "
                + "(\(shown)\(conflicts.count > 3 ? ", …" : "")); nothing of it was merged. "
                + "Merge with --on-conflict newer or keep to resolve them"
        }
    }
}

extension VidpipeStore {
    /// Checks that `shard` can be merged into the store at `target`: a readable file, not the
    /// target itself, not being written by a run, a vidpipe store of this build's schema (else
    /// `StoreError.olderSchema`, `.newerSchema` or `.notAStore`), and (with `integrity`) undamaged.
    public static func checkShard(_ shard: String, target: String, integrity: Bool = true) throws {
        var info = stat(), targetInfo = stat()
        guard stat(shard, &info) == 0 else {
            throw MergeError.unreadableShard(path: shard, reason: String(cString: strerror(errno)).lowercased())
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw MergeError.unreadableShard(path: shard, reason: "not a file") }
        if stat(target, &targetInfo) == 0 && targetInfo.st_dev == info.st_dev && targetInfo.st_ino == info.st_ino {
            throw MergeError.shardIsTarget(path: shard)
        }
        guard access(shard, R_OK) == 0 else {
            throw MergeError.unreadableShard(path: shard, reason: String(cString: strerror(errno)).lowercased())
        }
        if runHoldsLock(shard) { throw MergeError.shardInUse(path: shard) }
        let store = try VidpipeStore(path: shard, readOnly: true)
        if integrity { try store.checkIntegrity() }
    }

    /// Merges the store at `shard` (opened read-only) into this one. Videos are matched by content
    /// fingerprint and get this store's ids; each video (its row and all its stages) is one write
    /// transaction, so a merge killed half-way and run again ends as one run through, and merging
    /// the same shard again changes nothing. The caller holds this store's run lock, and has run
    /// `checkShard` on every shard first (the integrity check is not repeated here; damage met while
    /// merging fails the video's transaction, so nothing half-made is kept).
    public func merge(shard: String, onConflict policy: ConflictPolicy) throws -> ShardMergeReport {
        try Self.checkShard(shard, target: path, integrity: false)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS merge_shard", arguments: [Self.readOnlyURI(shard)])
            try ShardMerge.prepare(db)
        }
        defer {
            try? pool.writeWithoutTransaction { db in
                try ShardMerge.cleanUp(db)
                try db.execute(sql: "DETACH DATABASE merge_shard")
            }
        }
        var merge = try pool.writeWithoutTransaction { db in try ShardMerge(db, shard: shard, policy: policy) }
        if policy == .fail {
            let conflicts = try pool.writeWithoutTransaction { db in try merge.conflicts(db) }
            if !conflicts.isEmpty { throw MergeError.conflicts(shard: shard, conflicts) }
        }
        try pool.write { db in try merge.mergeShared(db) }
        let videoIDs = try pool.writeWithoutTransaction { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM merge_shard.videos ORDER BY id")
        }
        merge.report.videos = videoIDs.count
        for id in videoIDs {
            try pool.write { db in
                try merge.mergeVideo(db, sourceID: id)
                StoreFaults.afterStageWrite()
            }
            StoreFaults.afterCommit()
        }
        return merge.report
    }

    /// An SQLite URI opening `path` read-only: immutable, like `init(path:readOnly:)`, when its folder
    /// cannot be written and no WAL is there (a reader could not create the `-shm` file).
    static func readOnlyURI(_ path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let walFiles = [path + "-wal", path + "-shm"].filter { FileManager.default.fileExists(atPath: $0) }
        if access(folder.isEmpty ? "." : folder, W_OK) != 0 && walFiles.isEmpty { return immutableURI(path) }
        return immutableURI(path).replacingOccurrences(of: "?immutable=1", with: "?mode=ro")
    }
}

/// One stage result as the merge compares it.
struct StageState: Equatable {
    var fingerprint: String
    var status: StageStatus
    var finishedAt: String

    init(fingerprint: String, status: StageStatus, finishedAt: String) {
        self.fingerprint = fingerprint
        self.status = status
        self.finishedAt = finishedAt
    }

    init(row: Row, prefix: String = "") {
        self.init(fingerprint: row[prefix + "fingerprint"], status: StageStatus(rawValue: row[prefix + "status"]) ?? .failed,
                  finishedAt: row[prefix + "finished_at"])
    }

    /// What to do with the shard's result `source` given the target's (nil: it has none).
    enum Choice: Equatable { case keep, copy, conflict }

    static func choose(target: StageState?, source: StageState) -> Choice {
        guard let target else { return .copy }
        switch (target.status, source.status) {
        case (.failed, .done), (.failed, .skipped):
            return .copy
        case _ where target.fingerprint == source.fingerprint:
            return .keep
        case (.done, .failed), (.skipped, .failed):
            return .keep
        case (.failed, .failed):
            // Two failures under different fingerprints: the later one says more.
            return source.finishedAt > target.finishedAt ? .copy : .keep
        default:
            return .conflict
        }
    }

    /// The side a conflict keeps under `policy`; nil for `fail`.
    static func resolve(target: StageState, source: StageState, policy: ConflictPolicy) -> MergeSide? {
        switch policy {
        case .newer: return source.finishedAt > target.finishedAt ? .shard : .target
        case .keep: return .target
        case .fail: return nil
        }
    }
}

/// The merge of one attached shard (`merge_shard`) into `main`, on the store's writer connection.
/// Rows are copied with SQL, column by column as the schema has them; new ids are handed out in the
/// shard's order and remembered in `temp.merge_ids`, so rows pointing at other rows (OCR text and
/// captions at frames, search rows and embeddings at what they index) point at the copies.
struct ShardMerge {
    let shard: String
    let policy: ConflictPolicy
    var report: ShardMergeReport
    /// Each table's columns, `id` left out.
    private let columns: [String: [String]]
    /// Whether `temp.merge_target_search` lists the target's search rows by video and stage: done
    /// when a result is first replaced (FTS5 finds rows by an UNINDEXED column only by reading the
    /// whole index, once per video otherwise), then kept up to date.
    private var targetSearchListed = false

    /// Output tables in copy order: frames first (others point at them), embeddings last.
    static var outputTables: [String] {
        let tables = StoredRecords.types.map { $0.table }
        let first = [SampledFrame.table], last = [Embedding.table]
        return first + tables.filter { !first.contains($0) && !last.contains($0) } + last
    }

    /// The table whose row a search row (`kind`) or an embedding (`ref_kind`) points at.
    static func table(of kind: TextKind) -> String {
        switch kind {
        case .transcript: TranscriptSegment.table
        case .ocr: OCRText.table
        case .caption: FrameCaption.table
        case .timeline: FusedShot.table
        case .reasoning: ReasoningItem.table
        case .frame: SampledFrame.table
        case .subtitle: SubtitleCue.table
        }
    }

    static func prepare(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS merge_ids (tbl TEXT NOT NULL, old_id INTEGER NOT NULL, new_id INTEGER NOT NULL,
                                                       PRIMARY KEY (tbl, old_id)) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS merge_stages (stage TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS merge_search_rows (video_id INTEGER NOT NULL, rid INTEGER NOT NULL,
                                                               PRIMARY KEY (video_id, rid)) WITHOUT ROWID;
            CREATE TEMP TABLE IF NOT EXISTS merge_target_search (video_id INTEGER NOT NULL, stage TEXT NOT NULL,
                                                                 rid INTEGER NOT NULL, PRIMARY KEY (video_id, stage, rid)) WITHOUT ROWID;
            DELETE FROM merge_search_rows;
            DELETE FROM merge_target_search;
            """)
        // FTS5 cannot look rows up by an UNINDEXED column: list each video's search rows once.
        try db.execute(sql: """
            INSERT INTO temp.merge_search_rows (video_id, rid)
            SELECT CAST(video_id AS INTEGER), rowid FROM merge_shard.search WHERE video_id IS NOT NULL
            """)
    }

    static func cleanUp(_ db: Database) throws {
        try db.execute(sql: "DROP TABLE IF EXISTS temp.merge_ids; DROP TABLE IF EXISTS temp.merge_stages; "
                       + "DROP TABLE IF EXISTS temp.merge_search_rows; DROP TABLE IF EXISTS temp.merge_target_search")
    }

    init(_ db: Database, shard: String, policy: ConflictPolicy) throws {
        self.shard = shard
        self.policy = policy
        report = ShardMergeReport(path: shard)
        var columns: [String: [String]] = [:]
        for table in ["videos", "runs", "model_calls", "stage_results", "search"] + Self.outputTables {
            columns[table] = try Row.fetchAll(db, sql: "PRAGMA main.table_info(\(table))").map { $0["name"] as String }
                .filter { $0 != "id" }
        }
        self.columns = columns
    }

    private func list(_ table: String, prefix: String = "") -> String {
        columns[table, default: []].map { prefix + $0 }.joined(separator: ", ")
    }

    /// The select list copying `table`'s row `s`, with the columns that point at rows remapped.
    private func values(_ table: String, _ pointers: [String: String]) -> String {
        columns[table, default: []].map { pointers[$0] ?? "s." + $0 }.joined(separator: ", ")
    }

    /// With `--on-conflict fail`: the conflicts merging would meet, before anything is written.
    func conflicts(_ db: Database) throws -> [MergeConflict] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT v.path, s.stage, s.fingerprint, s.status, s.finished_at,
                   t.fingerprint AS t_fingerprint, t.status AS t_status, t.finished_at AS t_finished_at
            FROM merge_shard.stage_results s JOIN merge_shard.videos v ON v.id = s.video_id
            JOIN main.videos tv ON tv.fingerprint = v.fingerprint
            JOIN main.stage_results t ON t.video_id = tv.id AND t.stage = s.stage
            ORDER BY v.path, s.stage
            """)
        return rows.filter { StageState.choose(target: StageState(row: $0, prefix: "t_"), source: StageState(row: $0)) == .conflict }
            .map { MergeConflict(path: $0["path"], stage: $0["stage"], kept: .target, shard: shard) }
    }

    /// The rows no video owns: model calls (by request hash), model identities (by stage and fingerprint)
    /// and runs (each once).
    mutating func mergeShared(_ db: Database) throws {
        let calls = list("model_calls")
        try db.execute(sql: """
            INSERT INTO main.model_calls (\(calls)) SELECT \(calls) FROM merge_shard.model_calls WHERE true ORDER BY id
            ON CONFLICT (request_hash) DO NOTHING
            """)
        report.modelCallsAdded = db.changesCount
        // Which model identity each model stage's fingerprint was made with (for `vidpipe status`).
        try db.execute(sql: """
            INSERT INTO main.model_identities (stage, fingerprint, provider, model, identity, fresh, first_seen_at, seen_at)
            SELECT stage, fingerprint, provider, model, identity, fresh, first_seen_at, seen_at
            FROM merge_shard.model_identities WHERE true
            ON CONFLICT (stage, fingerprint) DO UPDATE SET first_seen_at = min(first_seen_at, excluded.first_seen_at),
                seen_at = max(seen_at, excluded.seen_at)
            """)
        let runs = list("runs")
        let same = columns["runs", default: []].map { "r.\($0) IS s.\($0)" }.joined(separator: " AND ")
        try db.execute(sql: """
            INSERT INTO main.runs (\(runs)) SELECT \(list("runs", prefix: "s.")) FROM merge_shard.runs s
            WHERE NOT EXISTS (SELECT 1 FROM main.runs r WHERE \(same)) ORDER BY s.id
            """)
        report.runsAdded = db.changesCount
    }

    // The merge runs the same statements for every video: each is compiled once, kept in the connection's cache.

    private static func run(_ db: Database, _ sql: String, _ arguments: StatementArguments = []) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    private static func row(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    private static func rows(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> [Row] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }

    private static func value(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// The video row's preference: a finished row over a failed one over a pending one, then the later.
    private static func rank(_ row: Row) -> (Int, String) {
        let order: [VideoStatus: Int] = [.done: 2, .failed: 1, .pending: 0]
        return (order[VideoStatus(rawValue: row["status"]) ?? .pending] ?? 0, row["updated_at"])
    }

    /// Merges one shard video, its row and every stage, inside the caller's write transaction.
    mutating func mergeVideo(_ db: Database, sourceID: Int64) throws {
        guard let source = try Self.row(
            db, "SELECT path, fingerprint, status, updated_at FROM merge_shard.videos WHERE id = ?", [sourceID])
        else { return }
        let path: String = source["path"], updatedAt: String = source["updated_at"]
        let target = try Self.row(db, "SELECT id, status, updated_at FROM main.videos WHERE fingerprint = ?",
                                  [source["fingerprint"] as String])
        var pathFree = true
        if let other = try Self.row(db, "SELECT id, updated_at FROM main.videos WHERE path = ? AND fingerprint <> ?",
                                    [path, source["fingerprint"] as String]) {
            if updatedAt > other["updated_at"] as String {
                try Self.run(db, "DELETE FROM main.videos WHERE id = ?", [other["id"] as Int64])
                try Self.run(db, "DELETE FROM temp.merge_target_search WHERE video_id = ?", [other["id"] as Int64])
                report.pathsReplaced.append(ReplacedPath(path: path, kept: .shard, shard: shard))
            } else {
                report.pathsReplaced.append(ReplacedPath(path: path, kept: .target, shard: shard))
                pathFree = false
                // The content has no path left in the target: nothing of it is merged.
                guard target != nil else { return }
            }
        }

        let targetID: Int64
        var rowChanged = false
        if let target {
            targetID = target["id"]
            if pathFree && Self.rank(source) > Self.rank(target) {
                try Self.run(db, """
                    UPDATE main.videos SET (\(list("videos"))) = (SELECT \(list("videos")) FROM merge_shard.videos WHERE id = ?)
                    WHERE id = ?
                    """, [sourceID, targetID])
                rowChanged = true
            }
        } else {
            try Self.run(db, "INSERT INTO main.videos (\(list("videos"))) SELECT \(list("videos")) FROM merge_shard.videos WHERE id = ?",
                         [sourceID])
            targetID = db.lastInsertedRowID
        }

        var stored: [String: StageState] = [:]
        if target != nil {
            for row in try Self.rows(db, "SELECT stage, fingerprint, status, finished_at FROM main.stage_results WHERE video_id = ?",
                                     [targetID]) {
                stored[row["stage"]] = StageState(row: row)
            }
        }
        var copied: [String] = []
        for row in try Self.rows(db, """
            SELECT stage, fingerprint, status, finished_at FROM merge_shard.stage_results WHERE video_id = ? ORDER BY stage
            """, [sourceID]) {
            let stage: String = row["stage"], theirs = StageState(row: row)
            switch StageState.choose(target: stored[stage], source: theirs) {
            case .keep: continue
            case .copy: copied.append(stage)
            case .conflict:
                guard let kept = StageState.resolve(target: stored[stage]!, source: theirs, policy: policy) else {
                    throw MergeError.conflicts(shard: shard, [MergeConflict(path: path, stage: stage, kept: .target, shard: shard)])
                }
                report.conflicts.append(MergeConflict(path: path, stage: stage, kept: kept, shard: shard))
                if kept == .shard { copied.append(stage) }
            }
        }
        if !copied.isEmpty { try copyStages(db, copied, from: sourceID, to: targetID, replacing: target != nil) }
        report.stagesCopied += copied.count
        if target == nil {
            report.videosAdded += 1
        } else if rowChanged || !copied.isEmpty {
            report.videosUpdated += 1
        }
    }

    /// Replaces the target video's results of `stages` by the shard's: rows, search rows and `stage_results`.
    private mutating func copyStages(_ db: Database, _ stages: [String], from sourceID: Int64, to targetID: Int64,
                                     replacing: Bool) throws {
        try Self.run(db, "DELETE FROM temp.merge_stages")
        try Self.run(db, "DELETE FROM temp.merge_ids")
        for stage in stages { try Self.run(db, "INSERT INTO temp.merge_stages (stage) VALUES (?)", [stage]) }
        let chosen = "stage IN (SELECT stage FROM temp.merge_stages)"
        let ids: StatementArguments = ["source": sourceID, "target": targetID]
        if replacing {
            if !targetSearchListed {
                try Self.run(db, "INSERT INTO temp.merge_target_search (video_id, stage, rid) "
                             + "SELECT CAST(video_id AS INTEGER), stage, rowid FROM main.search WHERE video_id IS NOT NULL")
                targetSearchListed = true
            }
            let listed = "FROM temp.merge_target_search WHERE video_id = ? AND \(chosen)"
            try Self.run(db, "DELETE FROM main.search WHERE rowid IN (SELECT rid \(listed))", [targetID])
            try Self.run(db, "DELETE \(listed)", [targetID])
            for table in VidpipeStore.outputTables + ["stage_results"] where table != "search" {
                try Self.run(db, "DELETE FROM main.\(table) WHERE video_id = ? AND \(chosen)", [targetID])
            }
        }
        for table in Self.outputTables {
            // New ids after the largest ever used (frames never reuse one), in the shard's order.
            let base = try Self.value(db, """
                SELECT max(coalesce((SELECT max(id) FROM main.\(table)), 0),
                           coalesce((SELECT seq FROM main.sqlite_sequence WHERE name = ?), 0))
                """, [table]) ?? 0
            try Self.run(db, """
                INSERT INTO temp.merge_ids (tbl, old_id, new_id)
                SELECT ?, id, ? + row_number() OVER (ORDER BY id) FROM merge_shard.\(table) WHERE video_id = ? AND \(chosen)
                """, [table, base, sourceID])
            var pointers = ["video_id": ":target", "frame_id": Self.frameID("s.frame_id")]
            if table == Embedding.table { pointers["ref_id"] = Self.reference(kind: "s.ref_kind", id: "s.ref_id") }
            try Self.run(db, """
                INSERT INTO main.\(table) (id, \(list(table)))
                SELECT m.new_id, \(values(table, pointers))
                FROM merge_shard.\(table) s JOIN temp.merge_ids m ON m.tbl = '\(table)' AND m.old_id = s.id
                WHERE s.video_id = :source AND s.\(chosen) ORDER BY s.id
                """, ids)
        }
        let lastSearchRow = try Self.value(db, "SELECT rowid FROM main.search ORDER BY rowid DESC LIMIT 1", []) ?? 0
        try Self.run(db, """
            INSERT INTO main.search (\(list("search")))
            SELECT \(values("search", ["video_id": ":target", "ref_id": Self.reference(kind: "s.kind", id: "s.ref_id")]))
            FROM temp.merge_search_rows r JOIN merge_shard.search s ON s.rowid = r.rid
            WHERE r.video_id = :source AND s.\(chosen) ORDER BY r.rid
            """, ids)
        if targetSearchListed {
            try Self.run(db, "INSERT INTO temp.merge_target_search (video_id, stage, rid) SELECT ?, stage, rowid FROM main.search WHERE rowid > ?",
                         [targetID, lastSearchRow])
        }
        try Self.run(db, """
            INSERT INTO main.stage_results (\(list("stage_results")))
            SELECT \(values("stage_results", ["video_id": ":target"])) FROM merge_shard.stage_results s
            WHERE s.video_id = :source AND s.\(chosen)
            """, ids)
    }

    /// The target's id for the shard frame `id`: its copy, else the frame of the same stage at the
    /// same time (to the half millisecond, as a stage result resolves it), else NULL.
    static func frameID(_ id: String) -> String {
        """
        coalesce((SELECT new_id FROM temp.merge_ids WHERE tbl = '\(SampledFrame.table)' AND old_id = \(id)),
                 (SELECT tf.id FROM merge_shard.frames sf JOIN main.frames tf
                    ON tf.video_id = :target AND tf.stage = sf.stage AND tf.t_s BETWEEN sf.t_s - 0.0005 AND sf.t_s + 0.0005
                  WHERE sf.id = \(id) AND abs(tf.t_s - sf.t_s) < 0.0005 ORDER BY tf.id LIMIT 1))
        """
    }

    /// The target's id for a row of kind `kind` (`TextKind`) with shard id `id`: its copy (rows of
    /// other stages are not matched, except frames by time), else NULL.
    static func reference(kind: String, id: String) -> String {
        let tables = TextKind.allCases.filter { $0 != .frame }.map { "WHEN '\($0.rawValue)' THEN '\(table(of: $0))'" }
        return """
            CASE \(kind) WHEN '\(TextKind.frame.rawValue)' THEN \(frameID(id))
            ELSE (SELECT new_id FROM temp.merge_ids WHERE old_id = \(id) AND tbl = CASE \(kind) \(tables.joined(separator: " ")) END) END
            """
    }
}
