import Records
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// The vidpipe SQLite store: one file in WAL mode, opened through a GRDB `DatabasePool`.
///
/// Every method is synchronous and blocks the calling thread on SQLite: call it from a Dispatch
/// queue, not from Swift concurrency's cooperative pool. Writes are serialized by the pool (one
/// writer); reads run concurrently with writes thanks to WAL. Each public write method is one
/// transaction.
public final class VidpipeStore: Sendable {
    /// The database file's path as given to `init(path:)`.
    public let path: String
    /// The identifier of the last migration, i.e. the schema this build writes.
    public static let schemaVersion: String = SchemaMigrations.identifiers.last!

    /// A `DatabasePool` (WAL: readers never block the writer), or for a read-only store in a folder
    /// this user cannot write, a `DatabaseQueue` on the file opened immutable.
    let pool: any DatabaseWriter

    /// Opens (creating if needed, parent directories included) the store at `path` and brings its
    /// schema up to date. With `readOnly`, opens an existing store without writing anything (what
    /// `status`, `export` and `search` do): a file without vidpipe's schema, or with an older one,
    /// is an error, never migrated.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var configuration = Configuration()
        configuration.label = "vidpipe.store"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        if readOnly {
            // Not an SQLite file at all (empty, text, video): say so before SQLite tries to open it.
            let header = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 16) } ?? Data()
            guard header == Data("SQLite format 3\u{0}".utf8) else { throw StoreError.notAStore(path: path) }
            configuration.readonly = true
            var applied: Set<String>
            do {
                let folder = (path as NSString).deletingLastPathComponent
                let walFiles = [path + "-wal", path + "-shm"].filter { FileManager.default.fileExists(atPath: $0) }
                if access(folder.isEmpty ? "." : folder, W_OK) != 0 && walFiles.isEmpty {
                    // WAL readers need a `-shm` file next to the store, which this user cannot create;
                    // with no WAL file there nobody is writing it, and SQLite can read it as immutable.
                    pool = try DatabaseQueue(path: Self.immutableURI(path), configuration: configuration)
                } else {
                    pool = try DatabasePool(path: path, configuration: configuration)
                }
                applied = try pool.read { db in try SchemaMigrations.migrator.appliedIdentifiers(db) }
                // A run bringing the store up to date right now: wait for it (a few seconds at most).
                let deadline = Date().addingTimeInterval(10)
                while !applied.isSuperset(of: SchemaMigrations.identifiers) && Self.runHoldsLock(path) && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.1)
                    applied = try pool.read { db in try SchemaMigrations.migrator.appliedIdentifiers(db) }
                }
            } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
                throw StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)")
            }
            guard !applied.isEmpty else { throw StoreError.notAStore(path: path) }
            if let newer = applied.subtracting(SchemaMigrations.identifiers).sorted().last {
                throw StoreError.newerSchema(path: path, version: newer)
            }
            let last = SchemaMigrations.identifiers.last { applied.contains($0) } ?? "none"
            guard applied.isSuperset(of: SchemaMigrations.identifiers) else {
                throw StoreError.olderSchema(path: path, version: last)
            }
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        configuration.prepareDatabase { db in
            // WAL + NORMAL keeps every commit atomic; a power loss may only drop the latest commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            if !FileManager.default.fileExists(atPath: path) { try Self.create(path, configuration) }
            pool = try DatabasePool(path: path, configuration: configuration)
            let applied = try pool.read { db in try SchemaMigrations.migrator.appliedIdentifiers(db) }
            if let newer = applied.subtracting(SchemaMigrations.identifiers).sorted().last {
                throw StoreError.newerSchema(path: path, version: newer)
            }
            try SchemaMigrations.migrator.migrate(pool)
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)")
        }
    }

    /// An SQLite URI that opens `path` read-only as an immutable file (no locks, no `-shm`).
    static func immutableURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// Whether a run holds the store's lock (`STORE.lock`, see the run lock in Pipeline) now.
    static func runHoldsLock(_ path: String) -> Bool {
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let fd = open(real + ".lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Creates a new store atomically: the schema is written to `STORE.new` and the file renamed
    /// into place, so a reader never sees a store without its full schema (it sees no file, then
    /// the whole store). The caller holds the run lock, so no other run creates it at once.
    private static func create(_ path: String, _ configuration: Configuration) throws {
        let staging = path + ".new"
        let leftovers = [staging, staging + "-wal", staging + "-shm"]
        for file in leftovers { try? FileManager.default.removeItem(atPath: file) }
        do {
            let pool = try DatabasePool(path: staging, configuration: configuration)
            try SchemaMigrations.migrator.migrate(pool)
            try pool.close()
            guard rename(staging, path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            for file in leftovers { try? FileManager.default.removeItem(atPath: file) }
            throw error
        }
    }

    /// Closes the store at the end of a run: when no other process has it open, SQLite folds the WAL
    /// into the database file and removes the `-wal` and `-shm` files, so a finished run leaves one
    /// self-contained file. With readers still attached the WAL stays (a valid store either way),
    /// and nothing here waits for them. Nothing may use the store afterwards.
    public func close() {
        try? pool.close()
        guard pool is DatabasePool else { return }
        // The pool's read-only reader connections close last and cannot remove the WAL; one
        // connection opened and closed alone does.
        try? DatabaseQueue(path: path).close()
    }

    /// SQLite's quick integrity check, stopped after `seconds` (a large store is then taken as is).
    /// Throws `StoreError.damaged` when it finds damage.
    public func checkIntegrity(seconds: Double = 10) throws {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + seconds)
        timer.setEventHandler { [pool] in pool.interrupt() }
        timer.resume()
        defer { timer.cancel() }
        let findings: [String]
        do {
            findings = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(3)") }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
            return
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)")
        }
        guard findings == ["ok"] else {
            let lines = findings.map {
                $0.replacingOccurrences(of: "*** in database main ***", with: "")
                    .components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }.joined(separator: "; ")
            }
            throw StoreError.damaged(path: path, detail: lines.joined(separator: "; "))
        }
    }

    // MARK: Runs

    /// Records the start of a run and returns its id. The caller holds the run lock, so a run still
    /// marked `running` ended without closing its row (killed, or its disk was full): it becomes
    /// `interrupted`, its `finished_at` left NULL.
    public func beginRun(pipelineName: String, pipelineHash: String, shard: (index: Int, count: Int)? = nil) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            try db.execute(
                sql: """
                    INSERT INTO runs (pipeline_name, pipeline_hash, started_at, status, shard_index, shard_count)
                    VALUES (?, ?, \(SchemaMigrations.nowSQL), 'running', ?, ?)
                    """,
                arguments: [pipelineName, pipelineHash, shard?.index, shard?.count])
            return db.lastInsertedRowID
        }
    }

    /// The shard the store's latest run processed (nil: all files, or no run yet), when the store
    /// holds videos; what a sharded run checks before it adds to the store.
    public func lastShard() throws -> (index: Int, count: Int)?? {
        try pool.read { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM videos") ?? 0 > 0,
                  let row = try Row.fetchOne(db, sql: "SELECT shard_index, shard_count FROM runs ORDER BY id DESC LIMIT 1")
            else { return .none }
            let index: Int? = row["shard_index"], count: Int? = row["shard_count"]
            if let index, let count { return .some((index, count)) }
            return .some(nil)
        }
    }

    /// Records how a run ended.
    public func finishRun(id: Int64, status: RunStatus, videosDone: Int, videosFailed: Int) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET status = ?, videos_done = ?, videos_failed = ?, finished_at = \(SchemaMigrations.nowSQL)
                    WHERE id = ?
                    """,
                arguments: [status.rawValue, videosDone, videosFailed, id])
            if db.changesCount == 0 { throw StoreError.runNotFound(id: id) }
        }
    }
}
