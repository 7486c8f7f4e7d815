import Records

/// One full-text search result: DESIGN.md's `search --json` shape.
public struct SearchHit: Codable, Sendable, Equatable {
    public var video_id: Int64
    public var path: String
    /// What the text is: transcript, ocr, caption or reasoning (and, from vector search, timeline or frame).
    public var kind: TextKind
    public var stage: String
    public var start_s: Double
    public var end_s: Double
    /// The whole indexed text.
    public var text: String
    /// An excerpt around the match, each matched term wrapped in `[` and `]`.
    public var snippet: String
    /// Relevance: higher is better (the negated FTS5 bm25 rank).
    public var score: Double
    /// For a frame hit (kind `frame`, from frame vectors): the stored frame at that time, whose picture the
    /// viewer serves as `/frames/ID.jpg`. Absent otherwise (and from JSON).
    public var frame_id: Int64? = nil
}
