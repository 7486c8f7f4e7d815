/// A row of `captions`: what a vision-language model said about one frame.
public struct CaptionRow: Sendable, Equatable {
    public var id: Int64?
    /// The frames stage the frame came from; with `startS` it resolves `frame_id` when written.
    public var frameStage: String?
    public var frameID: Int64?
    public var startS: Double
    public var endS: Double
    public var text: String
    public var model: String?
    /// Set when the caption was reused from a perceptually identical earlier frame: that frame's time.
    public var reusedFromS: Double?

    public init(id: Int64? = nil, frameStage: String?, frameID: Int64? = nil, startS: Double, endS: Double, text: String,
                model: String?, reusedFromS: Double?) {
        self.id = id
        self.frameStage = frameStage
        self.frameID = frameID
        self.startS = startS
        self.endS = endS
        self.text = text
        self.model = model
        self.reusedFromS = reusedFromS
    }
}

/// A row of `embeddings`: one vector for one moment's text (or frame).
public struct EmbeddingRow: Sendable, Equatable {
    public var id: Int64?
    /// What was embedded: transcript, ocr, caption, timeline, reasoning or frame.
    public var refKind: String
    public var refID: Int64?
    public var startS: Double
    public var endS: Double
    /// The embedded text (empty for a frame).
    public var text: String
    public var model: String?
    public var vector: [Float]

    public init(id: Int64? = nil, refKind: String, refID: Int64? = nil, startS: Double, endS: Double, text: String,
                model: String?, vector: [Float]) {
        self.id = id
        self.refKind = refKind
        self.refID = refID
        self.startS = startS
        self.endS = endS
        self.text = text
        self.model = model
        self.vector = vector
    }
}

/// A row of `timeline_shots`: one shot's fused record (JSON) on the shared time axis.
public struct TimelineRow: Sendable, Equatable {
    public var idx: Int
    public var startS: Double
    public var endS: Double
    public var keyframeS: Double?
    /// The fused record as JSON: {shot, start_s, end_s, keyframe_s, captions, ocr, transcript}.
    public var recordJSON: String
    /// Not indexed for search (its parts are, by their own stages); read by prompts and `vidpipe ask`.
    public init(idx: Int, startS: Double, endS: Double, keyframeS: Double?, recordJSON: String) {
        self.idx = idx
        self.startS = startS
        self.endS = endS
        self.keyframeS = keyframeS
        self.recordJSON = recordJSON
    }
}

/// A row of `reasoning_outputs`: one item of a language model's answer (the summary, one chapter,
/// the tag list, one answered question).
public struct ReasoningRow: Sendable, Equatable {
    public var task: String
    public var idx: Int
    public var startS: Double?
    public var endS: Double?
    public var text: String
    public var json: String?
    public var model: String?

    public init(task: String, idx: Int, startS: Double?, endS: Double?, text: String, json: String?, model: String?) {
        self.task = task
        self.idx = idx
        self.startS = startS
        self.endS = endS
        self.text = text
        self.json = json
        self.model = model
    }
}

/// Token usage summed per provider and model (`vidpipe status`).
public struct ModelUsage: Codable, Sendable, Equatable {
    public var provider: String
    public var model: String
    public var calls: Int
    public var prompt_tokens: Int
    public var completion_tokens: Int
    public var total_tokens: Int
    public init(provider: String, model: String, calls: Int, prompt_tokens: Int, completion_tokens: Int, total_tokens: Int) {
        self.provider = provider
        self.model = model
        self.calls = calls
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.total_tokens = total_tokens
    }
}
