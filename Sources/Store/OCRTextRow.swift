/// A row of `ocr_texts`: the text read from one frame.
public struct OCRTextRow: Sendable, Equatable {
    public var id: Int64?
    /// The frames stage the frame came from; with `tS` it resolves `frame_id` when written.
    public var frameStage: String?
    public var frameID: Int64?
    public var tS: Double
    public var text: String
    public var confidence: Double?
    /// Text boxes as a JSON array of {x, y, width, height, text, confidence}, or nil.
    public var boxesJSON: String?
    /// Set when the result was reused from a perceptually identical earlier frame: that frame's time.
    public var reusedFromS: Double?

    public init(id: Int64? = nil, frameStage: String?, frameID: Int64? = nil, tS: Double, text: String,
                confidence: Double?, boxesJSON: String?, reusedFromS: Double?) {
        self.id = id
        self.frameStage = frameStage
        self.frameID = frameID
        self.tS = tS
        self.text = text
        self.confidence = confidence
        self.boxesJSON = boxesJSON
        self.reusedFromS = reusedFromS
    }
}
