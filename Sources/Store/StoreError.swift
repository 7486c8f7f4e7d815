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

    public var description: String {
        switch self {
        case .videoNotFound(let id):
            return "no video with id \(id) in the store; `vidpipe status` lists what is there"
        case .runNotFound(let id):
            return "no run with id \(id) in the store"
        case .ambiguousVideoReference(let reference, let candidates):
            let shown = candidates.prefix(5).joined(separator: ", ")
            return "'\(reference)' matches \(candidates.count) videos (\(shown)); give a longer path or the numeric id"
        case .invalidSearchQuery(let query, let reason):
            return "cannot search for '\(query)': \(reason). Words match anywhere; put punctuation and operators "
                + "inside double quotes for a literal phrase, e.g. '\"c++ compiler\"'"
        }
    }
}
