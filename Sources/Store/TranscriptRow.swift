/// A row of `transcript_segments`: recognised speech in media time.
public struct TranscriptRow: Sendable, Equatable {
    public var id: Int64?
    public var startS: Double
    public var endS: Double
    public var text: String
    public var confidence: Double?
    /// Word timings as a JSON array of {word, start, end, confidence}, or nil.
    public var wordsJSON: String?
    /// The spoken language (e.g. "en"), where the engine gives one.
    public var language: String?

    public init(id: Int64? = nil, startS: Double, endS: Double, text: String, confidence: Double?, wordsJSON: String?,
                language: String? = nil) {
        self.id = id
        self.startS = startS
        self.endS = endS
        self.text = text
        self.confidence = confidence
        self.wordsJSON = wordsJSON
        self.language = language
    }
}
