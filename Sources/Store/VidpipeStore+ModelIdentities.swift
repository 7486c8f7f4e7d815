import Foundation
import GRDB

/// One model stage's fingerprint and the model identity it was made with.
public struct ModelIdentityRow: Sendable, Equatable {
    public var stage: String
    public var fingerprint: String
    public var provider: String
    public var model: String
    public var identity: String
    /// False: not served this run; the identity recorded before was used.
    public var fresh: Bool
    public init(stage: String, fingerprint: String, provider: String, model: String, identity: String, fresh: Bool) {
        self.stage = stage
        self.fingerprint = fingerprint
        self.provider = provider
        self.model = model
        self.identity = identity
        self.fresh = fresh
    }
}

/// Stored results of a model stage made with a model identity other than the one last served.
public struct StaleModelResults: Codable, Sendable, Equatable {
    public var stage: String
    public var provider: String
    public var model: String
    /// The identity the results were made with, and the one the server gave last.
    public var made_with: String
    public var served: String
    /// Videos whose result of `stage` is such a result.
    public var videos: Int
}

extension VidpipeStore {
    /// Keeps each row (a (stage, fingerprint) seen again is touched: its `seen_at` becomes now).
    public func recordModelIdentities(_ rows: [ModelIdentityRow]) throws {
        guard !rows.isEmpty else { return }
        try pool.write { db in
            for row in rows {
                try db.execute(sql: """
                    INSERT INTO model_identities (stage, fingerprint, provider, model, identity, fresh, first_seen_at, seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, \(SchemaMigrations.nowSQL), \(SchemaMigrations.nowSQL))
                    ON CONFLICT (stage, fingerprint) DO UPDATE SET identity = excluded.identity, fresh = excluded.fresh,
                        seen_at = excluded.seen_at
                    """, arguments: [row.stage, row.fingerprint, row.provider, row.model, row.identity, row.fresh])
            }
        }
    }

    /// The identity last served for `model` of `provider` (rows the server itself gave), if any.
    public func latestModelIdentity(provider: String, model: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT identity FROM model_identities WHERE provider = ? AND model = ? AND fresh = 1
                ORDER BY seen_at DESC, rowid DESC LIMIT 1
                """, arguments: [provider, model])
        }
    }

    /// The identity first recorded for `model` of `provider` in this store: the baseline that results made
    /// before identities were recorded are taken to come from.
    public func baselineModelIdentity(provider: String, model: String) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT identity FROM model_identities WHERE provider = ? AND model = ?
                ORDER BY first_seen_at, rowid LIMIT 1
                """, arguments: [provider, model])
        }
    }

    /// Per stage and model: done results whose fingerprint was made with an identity other than the one
    /// the server last gave for that model.
    public func staleModelResults() throws -> [StaleModelResults] {
        try pool.read { db in
            guard try db.tableExists("model_identities") else { return [] }
            return try Row.fetchAll(db, sql: """
                WITH latest AS (
                    SELECT provider, model, identity FROM (
                        SELECT provider, model, identity,
                               row_number() OVER (PARTITION BY provider, model ORDER BY seen_at DESC, rowid DESC) AS n
                        FROM model_identities WHERE fresh = 1)
                    WHERE n = 1)
                SELECT r.stage AS stage, m.provider AS provider, m.model AS model, m.identity AS made_with,
                       l.identity AS served, count(*) AS videos
                FROM stage_results r
                JOIN model_identities m ON m.stage = r.stage AND m.fingerprint = r.fingerprint
                JOIN latest l ON l.provider = m.provider AND l.model = m.model
                WHERE r.status = 'done' AND m.identity <> l.identity
                GROUP BY r.stage, m.provider, m.model, m.identity, l.identity
                ORDER BY r.stage
                """).map { row in
                StaleModelResults(stage: row["stage"], provider: row["provider"], model: row["model"],
                                  made_with: row["made_with"], served: row["served"], videos: row["videos"])
            }
        }
    }
}
