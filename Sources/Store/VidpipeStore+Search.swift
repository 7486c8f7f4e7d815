import Foundation
import GRDB
import Records

extension VidpipeStore {
    /// The kinds of text the full-text index holds.
    public static let searchKinds: [TextKind] = [.transcript, .ocr, .caption, .reasoning, .subtitle]

    /// Full-text search over every indexed text, best first. `query` is FTS5 syntax: words (all must
    /// match), "exact phrases", prefix*, OR, NOT, NEAR(a b, 5). A malformed query throws
    /// `StoreError.invalidSearchQuery` with SQLite's reason, never a crash.
    public func search(_ query: String, kind: TextKind? = nil, videoID: Int64? = nil, limit: Int = 20,
                       marks: (open: String, close: String) = ("[", "]")) throws -> [SearchHit] {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw StoreError.invalidSearchQuery(query: query, reason: "the query is empty") }
        var sql = """
            SELECT s.video_id, v.path, s.kind, s.stage, s.start_s, s.end_s, s.text,
                   snippet(search, 0, ?, ?, '…', 12) AS snippet, bm25(search) AS rank
            FROM search s JOIN videos v ON v.id = s.video_id
            WHERE search MATCH ?
            """
        var arguments: [any DatabaseValueConvertible] = [marks.open, marks.close, trimmed]
        if let kind {
            sql += " AND s.kind = ?"
            arguments.append(kind.rawValue)
        }
        if let videoID {
            sql += " AND s.video_id = ?"
            arguments.append(videoID)
        }
        sql += " ORDER BY rank, s.video_id, s.start_s LIMIT ?"
        arguments.append(limit)
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                    let rank: Double = row["rank"]
                    return SearchHit(video_id: row["video_id"], path: row["path"], kind: TextKind(rawValue: row["kind"]) ?? .transcript, stage: row["stage"],
                                     start_s: row["start_s"], end_s: row["end_s"], text: row["text"],
                                     snippet: row["snippet"], score: -rank)
                }
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            // The query is the only input here: SQLite's generic error is FTS5 refusing it
            // (syntax, unknown column, `*` alone: "unknown special query").
            let reason = (error.message ?? "\(error)").trimmingCharacters(in: CharacterSet(charactersIn: ": "))
            throw StoreError.invalidSearchQuery(query: query, reason: reason)
        }
    }
}
