import Foundation
import GRDB

/// One row of `conversations`: what `vidpipe ask` keeps for `--continue` and its interactive session.
public struct ConversationRow: Sendable, Equatable {
    public var id: Int64
    /// Nil: a conversation about the whole archive (`ask --all`).
    public var videoID: Int64?
    public var provider: String
    /// The model of the latest answer.
    public var model: String
    public var createdAt: String
    public var updatedAt: String
}

/// One row of `conversation_turns`.
public struct ConversationTurn: Sendable, Equatable {
    public enum Role: String, Sendable, Codable {
        /// A question as the user asked it.
        case user
        /// The model's answer (its text; its citations as JSON).
        case assistant
        /// Older turns folded into one text to fit the model's context: it stands for every turn before it.
        case summary
    }
    /// Position in the conversation, from 0.
    public var idx: Int
    public var role: Role
    public var text: String
    /// The answer's citations as a JSON array (assistant turns); nil otherwise.
    public var citations: String?
    public var createdAt: String

    public init(idx: Int, role: Role, text: String, citations: String? = nil, createdAt: String = "") {
        self.idx = idx
        self.role = role
        self.text = text
        self.citations = citations
        self.createdAt = createdAt
    }
}

/// Older turns folded into a summary: the `summary` turn goes right after turn `afterIdx` (the last
/// one it stands for); later turns move one place on.
public struct ConversationFold: Sendable, Equatable {
    public var afterIdx: Int
    public var text: String
    public init(afterIdx: Int, text: String) {
        self.afterIdx = afterIdx
        self.text = text
    }
}

extension VidpipeStore {
    /// True when the store was opened read-only (it can be searched and asked, not written).
    public var isReadOnly: Bool { pool.configuration.readonly }

    /// The conversation about `videoID` (nil: about the archive) that was added to last, if any.
    public func latestConversation(videoID: Int64?) throws -> ConversationRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT id, video_id, provider, model, created_at, updated_at FROM conversations
                WHERE video_id IS ? ORDER BY updated_at DESC, id DESC LIMIT 1
                """, arguments: [videoID]).map(Self.conversation)
        }
    }

    public func conversation(id: Int64) throws -> ConversationRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, video_id, provider, model, created_at, updated_at FROM conversations WHERE id = ?",
                             arguments: [id]).map(Self.conversation)
        }
    }

    /// Every turn of a conversation, in order.
    public func conversationTurns(_ conversationID: Int64) throws -> [ConversationTurn] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT idx, role, text, citations, created_at FROM conversation_turns WHERE conversation_id = ? ORDER BY idx
                """, arguments: [conversationID]).map { row in
                ConversationTurn(idx: row["idx"], role: ConversationTurn.Role(rawValue: row["role"]) ?? .user, text: row["text"],
                                 citations: row["citations"], createdAt: row["created_at"])
            }
        }
    }

    /// In ONE transaction: creates the conversation when `conversationID` is nil, inserts `fold`'s
    /// summary turn (if any) after the turns it stands for, appends the question and its answer, and
    /// marks the conversation updated (with the answer's model). Returns the conversation's id.
    @discardableResult
    public func appendExchange(conversationID: Int64?, videoID: Int64?, provider: String, model: String,
                               fold: ConversationFold? = nil, question: String, answer: String, citations: String?) throws -> Int64 {
        try pool.write { db in
            let id: Int64
            if let conversationID {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM conversations WHERE id = ?", arguments: [conversationID]) == true else {
                    throw StoreError.conversationNotFound(id: conversationID)
                }
                id = conversationID
                try db.execute(sql: "UPDATE conversations SET updated_at = \(SchemaMigrations.nowSQL), model = ?, provider = ? WHERE id = ?",
                               arguments: [model, provider, id])
            } else {
                try db.execute(sql: """
                    INSERT INTO conversations (video_id, provider, model, created_at, updated_at)
                    VALUES (?, ?, ?, \(SchemaMigrations.nowSQL), \(SchemaMigrations.nowSQL))
                    """, arguments: [videoID, provider, model])
                id = db.lastInsertedRowID
            }
            func insert(_ idx: Int, _ role: ConversationTurn.Role, _ text: String, _ citations: String?) throws {
                try db.execute(sql: """
                    INSERT INTO conversation_turns (conversation_id, idx, role, text, citations, created_at)
                    VALUES (?, ?, ?, ?, ?, \(SchemaMigrations.nowSQL))
                    """, arguments: [id, idx, role.rawValue, text, citations])
            }
            if let fold {
                // Make room after `afterIdx` in two steps (negate, then flip back), so no UPDATE
                // meets UNIQUE (conversation_id, idx) halfway.
                try db.execute(sql: "UPDATE conversation_turns SET idx = -(idx + 1) WHERE conversation_id = ? AND idx > ?",
                               arguments: [id, fold.afterIdx])
                try db.execute(sql: "UPDATE conversation_turns SET idx = -idx WHERE conversation_id = ? AND idx < 0", arguments: [id])
                try insert(fold.afterIdx + 1, .summary, fold.text, nil)
            }
            let next = (try Int.fetchOne(db, sql: "SELECT max(idx) FROM conversation_turns WHERE conversation_id = ?",
                                         arguments: [id]) ?? -1) + 1
            try insert(next, .user, question, nil)
            try insert(next + 1, .assistant, answer, citations)
            return id
        }
    }

    private static func conversation(_ row: Row) -> ConversationRow {
        ConversationRow(id: row["id"], videoID: row["video_id"], provider: row["provider"], model: row["model"],
                        createdAt: row["created_at"], updatedAt: row["updated_at"])
    }
}
