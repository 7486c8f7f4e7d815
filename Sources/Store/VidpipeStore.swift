import Records
import Foundation
import GRDB

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

    let pool: DatabasePool

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
            let applied: Set<String>
            do {
                pool = try DatabasePool(path: path, configuration: configuration)
                applied = try pool.read { db in try SchemaMigrations.migrator.appliedIdentifiers(db) }
            } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
                throw StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)")
            }
            guard !applied.isEmpty else { throw StoreError.notAStore(path: path) }
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
            pool = try DatabasePool(path: path, configuration: configuration)
            try SchemaMigrations.migrator.migrate(pool)
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            throw StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)")
        }
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

    /// Records the start of a run and returns its id.
    public func beginRun(pipelineName: String, pipelineHash: String) throws -> Int64 {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO runs (pipeline_name, pipeline_hash, started_at, status) VALUES (?, ?, \(SchemaMigrations.nowSQL), 'running')",
                arguments: [pipelineName, pipelineHash])
            return db.lastInsertedRowID
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
