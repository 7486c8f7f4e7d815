import Foundation
import GRDB
import Records

/// Reading model outputs (the latest timeline, keyframes, vector search) and the model-call ledger
/// that is also the response cache.
extension VidpipeStore {
    // MARK: Loading

    /// The JPEG of the frame nearest `time` among all frames stored for a video (any stage), if one
    /// lies within `tolerance` seconds.
    public func frameJPEG(videoID: Int64, near time: Double, tolerance: Double = 0.5) throws -> [UInt8]? {
        try pool.read { db in
            let data = try Data.fetchOne(db, sql: """
                SELECT jpeg FROM frames WHERE video_id = ? AND abs(t_s - ?) <= ? ORDER BY abs(t_s - ?), id LIMIT 1
                """, arguments: [videoID, time, tolerance, time])
            return data.map { [UInt8]($0) }
        }
    }

    // MARK: Vector search

    /// The models of the stored text vectors (`embed.text`; frame vectors are `frameEmbeddingModels`), optionally
    /// for one video, most rows first.
    public func embeddingModels(videoID: Int64? = nil) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT model FROM embeddings WHERE model IS NOT NULL AND ref_kind != 'frame' \(videoID == nil ? "" : "AND video_id = ?")
                GROUP BY model ORDER BY count(*) DESC, model
                """, arguments: videoID.map { [$0] } ?? [])
        }
    }

    /// The models and dimensions of the stored frame vectors (`embed.frames`), most rows first.
    public func frameEmbeddingModels(videoID: Int64? = nil) throws -> [(model: String, dim: Int)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT model, dim FROM embeddings WHERE ref_kind = 'frame' AND model IS NOT NULL \(videoID == nil ? "" : "AND video_id = ?")
                GROUP BY model, dim ORDER BY count(*) DESC, model
                """, arguments: videoID.map { [$0] } ?? []).map { (model: $0["model"], dim: $0["dim"]) }
        }
    }

    /// Moments ranked by cosine similarity between `vector` and the stored embeddings of `model`,
    /// best first. Scans with a cursor, keeping only the best `limit` (memory stays flat).
    /// `frames`: true, only frame vectors; false, none; nil, all.
    public func semanticSearch(vector query: [Float], model: String, videoID: Int64? = nil, frames: Bool? = nil,
                               limit: Int = 20) throws -> [SearchHit] {
        let queryNorm = VectorBlob.norm(query)
        guard queryNorm > 0 else { return [] }
        var sql = """
            SELECT e.video_id, v.path, e.ref_kind, e.stage, e.start_s, e.end_s, e.text, e.dim, e.vector
            FROM embeddings e JOIN videos v ON v.id = e.video_id WHERE e.model = ? AND e.dim = ?
            """
        if let frames { sql += frames ? " AND e.ref_kind = 'frame'" : " AND e.ref_kind != 'frame'" }
        var arguments: [any DatabaseValueConvertible] = [model, query.count]
        if let videoID {
            sql += " AND e.video_id = ?"
            arguments.append(videoID)
        }
        return try pool.read { db in
            var best: [SearchHit] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                let blob: Data = row["vector"]
                let score = VectorBlob.cosine(query, queryNorm, blob)
                guard best.count < limit || score > (best.last?.score ?? -2) else { continue }
                let text: String = row["text"] ?? ""
                let kind = TextKind(rawValue: row["ref_kind"]) ?? .transcript
                var snippet = text
                if kind == .frame && text.isEmpty {
                    snippet = "[frame at \(Self.clock(row["start_s"] ?? 0)), similarity \(String(format: "%.3f", score))]"
                }
                let hit = SearchHit(video_id: row["video_id"], path: row["path"], kind: kind, stage: row["stage"],
                                    start_s: row["start_s"] ?? 0, end_s: row["end_s"] ?? 0, text: text, snippet: snippet,
                                    score: score)
                let at = best.firstIndex { $0.score < score } ?? best.count
                best.insert(hit, at: at)
                if best.count > limit { best.removeLast() }
            }
            // A frame vector keeps its time, not its frame's row: the picture is the stored frame at that time.
            for index in best.indices where best[index].kind == .frame {
                best[index].frame_id = try Int64.fetchOne(db, sql: """
                    SELECT id FROM frames WHERE video_id = ? AND t_s BETWEEN ? AND ? ORDER BY abs(t_s - ?), id LIMIT 1
                    """, arguments: [best[index].video_id, best[index].start_s - 0.0005, best[index].start_s + 0.0005,
                                  best[index].start_s])
            }
            return best
        }
    }

    /// hh:mm:ss.mmm
    static func clock(_ seconds: Double) -> String {
        let ms = Int((max(0, seconds) * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }

    // MARK: The model-call ledger / response cache

    /// The response body stored for a request hash, if any.
    public func cachedModelResponse(requestHash: String) throws -> [UInt8]? {
        try pool.read { db in
            try Data.fetchOne(db, sql: "SELECT response FROM model_calls WHERE request_hash = ?", arguments: [requestHash])
                .map { [UInt8]($0) }
        }
    }

    /// Records one model call that went over the wire with its response (kept once per request hash).
    public func recordModelCall(requestHash: String, provider: String, endpoint: String, model: String, promptTokens: Int,
                                completionTokens: Int, totalTokens: Int, elapsedSeconds: Double, response: [UInt8]) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO model_calls (request_hash, provider, endpoint, model, prompt_tokens, completion_tokens, total_tokens,
                                         elapsed_s, response, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, \(SchemaMigrations.nowSQL))
                ON CONFLICT (request_hash) DO UPDATE SET response = excluded.response
                """, arguments: [requestHash, provider, endpoint, model, promptTokens, completionTokens, totalTokens,
                                 elapsedSeconds, Data(response)])
        }
    }

    /// Calls and tokens per provider and model, largest first.
    public func modelUsage() throws -> [ModelUsage] {
        try pool.read { db in try Self.fetchModelUsage(db) }
    }

    static func fetchModelUsage(_ db: Database) throws -> [ModelUsage] {
        try ModelUsage.fetchAll(db, sql: """
            SELECT provider, model, count(*) AS calls, sum(prompt_tokens) AS prompt_tokens,
                   sum(completion_tokens) AS completion_tokens, sum(total_tokens) AS total_tokens
            FROM model_calls GROUP BY provider, model ORDER BY total_tokens DESC, provider, model
            """)
    }
}

/// Vectors as BLOBs of little-endian float32 (DESIGN.md), and cosine similarity over them.
public enum VectorBlob {
    public static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for v in vector {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    public static func decode(_ data: Data) -> [Float] {
        let count = data.count / 4
        return data.withUnsafeBytes { raw in
            (0..<count).map { i in Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
        }
    }

    public static func norm(_ v: [Float]) -> Float {
        var sum: Float = 0
        for x in v { sum += x * x }
        return sum.squareRoot()
    }

    /// Cosine similarity between `query` (with its norm) and a stored vector of the same length; -1 on mismatch.
    static func cosine(_ query: [Float], _ queryNorm: Float, _ blob: Data) -> Double {
        guard blob.count == query.count * 4 else { return -1 }
        var dot: Float = 0, norm: Float = 0
        blob.withUnsafeBytes { raw in
            for i in 0..<query.count {
                let x = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                dot += x * query[i]
                norm += x * x
            }
        }
        guard norm > 0 else { return -1 }
        return Double(dot / (norm.squareRoot() * queryNorm))
    }
}
