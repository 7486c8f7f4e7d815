/// A vector for one moment: the text (or frame) it embeds and where it sits in time.
public struct Embedding: StageRecord {
    public static let kind = DataKind.embeddings
    public static let table = "embeddings"
    /// What was embedded.
    public var refKind: TextKind
    public var start: Double
    public var end: Double
    public var text: String
    public var vector: [Float]
    public var model: String
    public init(refKind: TextKind, start: Double, end: Double, text: String, vector: [Float], model: String) {
        self.refKind = refKind
        self.start = start
        self.end = end
        self.text = text
        self.vector = vector
        self.model = model
    }
}

/// A text with its time range, inside a fused record.
public struct TimedText: Sendable, Equatable, Codable {
    public var start: Double
    public var end: Double
    public var text: String
    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
    enum CodingKeys: String, CodingKey {
        case text
        case start = "start_s"
        case end = "end_s"
    }
}

/// One shot's fused record (late fusion): everything the encoders found in [start, end).
public struct FusedShot: StageRecord, Codable {
    public static let kind = DataKind.timeline
    public static let table = "timeline_shots"
    public var index: Int
    public var start: Double
    public var end: Double
    /// Time of the shot's keyframe (from an upstream frames stage), if any.
    public var keyframe: Double?
    public var captions: [TimedText]
    public var ocr: [TimedText]
    public var transcript: [TimedText]
    public init(index: Int, start: Double, end: Double, keyframe: Double?, captions: [TimedText], ocr: [TimedText],
                transcript: [TimedText]) {
        self.index = index
        self.start = start
        self.end = end
        self.keyframe = keyframe
        self.captions = captions
        self.ocr = ocr
        self.transcript = transcript
    }
    enum CodingKeys: String, CodingKey {
        case captions, ocr, transcript
        case index = "shot"
        case start = "start_s"
        case end = "end_s"
        case keyframe = "keyframe_s"
    }
}

/// One item of a language model's answer: the summary, a chapter, the tags, one answered question.
public struct ReasoningItem: StageRecord {
    public static let kind = DataKind.reasoning
    public static let table = "reasoning_outputs"
    public var task: ReasoningTask
    public var index: Int
    public var start: Double?
    public var end: Double?
    /// The readable text (indexed for search).
    public var text: String
    /// The structured answer, as JSON text, where the task has one.
    public var json: String?
    public var model: String
    public init(task: ReasoningTask, index: Int, start: Double?, end: Double?, text: String, json: String?, model: String) {
        self.task = task
        self.index = index
        self.start = start
        self.end = end
        self.text = text
        self.json = json
        self.model = model
    }
}
