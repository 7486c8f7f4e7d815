import GRDB

/// Errors the store raises itself (SQLite failures surface as GRDB's `DatabaseError`).
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// No `videos` row has this id.
    case videoNotFound(id: Int64)
    /// No `runs` row has this id.
    case runNotFound(id: Int64)
    /// A path suffix or file name matched several videos.
    case ambiguousVideoReference(String, candidates: [String])
    /// A search query SQLite's FTS5 cannot parse (or an empty one).
    case invalidSearchQuery(query: String, reason: String)
    /// A file opened read-only that holds no vidpipe store (e.g. an empty or unrelated file).
    case notAStore(path: String)
    /// SQLite's integrity check found damage (or the file is not a database any more).
    case damaged(path: String, detail: String)
    /// A store written by an older vidpipe, opened read-only (a run brings it up to date).
    case olderSchema(path: String, version: String)
    /// A store written by a newer vidpipe: this one neither reads nor writes it.
    case newerSchema(path: String, version: String)
    /// No `conversations` row has this id (deleted since it was read, e.g. with its video).
    case conversationNotFound(id: Int64)
    /// A stage result's vectors of `model` have another dimension than those already stored for it.
    case embeddingDimension(model: String, stored: Int, got: Int)

    public var description: String {
        switch self {
        case .videoNotFound(let id):
            return "no video with id \(id) in the store; `vidpipe status` lists what is there"
        case .embeddingDimension(let model, let stored, let got):
            return "the store holds \(stored)-dimensional vectors of model '\(model)', this result has \(got) dimensions: "
                + "another model answers under the same name; nothing stored. Name it differently (model:), or delete "
                + "the old vectors (DELETE FROM embeddings WHERE model = '\(model)') and run again"
        case .runNotFound(let id):
            return "no run with id \(id) in the store"
        case .conversationNotFound(let id):
            return "no conversation with id \(id) in the store (it was deleted, e.g. with its video); ask again without --continue"
        case .ambiguousVideoReference(let reference, let candidates):
            let shown = candidates.prefix(5).joined(separator: ", ")
            return "'\(reference)' matches \(candidates.count) videos (\(shown)); give a longer path or the numeric id"
        case .notAStore(let path):
            return "\(path) is not a vidpipe store (it has no vidpipe schema); give the store a run wrote (--db FILE)"
        case .damaged(let path, let detail):
            return "the store \(path) is damaged (\(detail)); nothing was changed. Restore it from a backup, or "
                + "salvage it with `sqlite3 \(path) .recover | sqlite3 NEW.sqlite` and run with --db NEW.sqlite, "
                + "or start a new store (results are recomputed)"
        case .olderSchema(let path, let version):
            return "\(path) was written by an older vidpipe (schema \(version), this one reads \(VidpipeStore.schemaVersion)); "
                + "run a pipeline on it once (vidpipe run) to bring it up to date"
        case .newerSchema(let path, let version):
            return "\(path) was written by a newer vidpipe (schema \(version), this one knows up to \(VidpipeStore.schemaVersion)); "
                + "use that vidpipe, or a new store"
        case .invalidSearchQuery(let query, let reason):
            return "cannot search for '\(query)': \(reason). Words match anywhere; put punctuation and operators "
                + "inside double quotes for a literal phrase, e.g. '\"c++ compiler\"'"
        }
    }
}

extension VidpipeStore {
    /// When `error` is a failure of the store itself — its disk is full, it cannot be written, it
    /// is damaged — rather than of the input being processed, one line that says so and names the
    /// store; else nil. A run stops starting videos on such an error and never records it against
    /// an input.
    public func failure(_ error: any Error) -> String? { Self.failure(error, path: path) }

    /// `failure(_:)` for the store at `path` (e.g. while it is being opened).
    public static func failure(_ error: any Error, path: String) -> String? {
        if let error = error as? StoreError, case .damaged = error { return error.description }
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL:
            return "disk full at \(path): the store cannot grow; free space on its file system (or move it with --db), "
                + "then run again to resume"
        case .SQLITE_IOERR:
            return "I/O error writing the store \(path) (\(error.message ?? "disk error")); check its disk, then run again to resume"
        case .SQLITE_READONLY:
            return "the store \(path) cannot be written any more (\(error.message ?? "read-only")); make it writable, then run again"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError.damaged(path: path, detail: error.message ?? "\(error.resultCode)").description
        case .SQLITE_CANTOPEN:
            return "cannot open the store's files at \(path) (\(error.message ?? "cannot open")); check its folder, then run again"
        default:
            return nil
        }
    }
}
