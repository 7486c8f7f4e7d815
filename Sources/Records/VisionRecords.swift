/// A shot: [start, end) in seconds.
public struct ShotSpan: StageRecord, Codable {
    public static let kind = DataKind.shots
    public static let table = "shots"
    public var index: Int
    public var start: Double
    public var end: Double
    public init(index: Int, start: Double, end: Double) {
        self.index = index
        self.start = start
        self.end = end
    }
}

/// A stored still: a thumbnail JPEG with its 64-bit perceptual hash.
public struct SampledFrame: StageRecord {
    public static let kind = DataKind.frames
    public static let table = "frames"
    public var time: Double
    public var shotIndex: Int?
    public var phash: UInt64
    public var width: Int
    public var height: Int
    public var jpeg: [UInt8]
    public init(time: Double, shotIndex: Int?, phash: UInt64, width: Int, height: Int, jpeg: [UInt8]) {
        self.time = time
        self.shotIndex = shotIndex
        self.phash = phash
        self.width = width
        self.height = height
        self.jpeg = jpeg
    }
}

/// A box of text found on a frame, in the frame's pixel coordinates (as decoded for OCR).
public struct TextBox: Sendable, Equatable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var text: String
    public var confidence: Double
    public init(x: Int, y: Int, width: Int, height: Int, text: String, confidence: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.text = text
        self.confidence = confidence
    }
}

/// The text read from one frame of an upstream frames stage.
public struct OCRText: StageRecord {
    public static let kind = DataKind.ocrText
    public static let table = "ocr_texts"
    /// Media time of the frame (equal to the upstream frame's time).
    public var time: Double
    public var text: String
    /// Mean word confidence, 0...1.
    public var confidence: Double
    public var boxes: [TextBox]
    /// When the result was reused from an earlier, perceptually identical frame: that frame's time.
    public var reusedFrom: Double?
    public init(time: Double, text: String, confidence: Double, boxes: [TextBox], reusedFrom: Double? = nil) {
        self.time = time
        self.text = text
        self.confidence = confidence
        self.boxes = boxes
        self.reusedFrom = reusedFrom
    }
}

/// A frame's caption from a vision-language model.
public struct FrameCaption: StageRecord {
    public static let kind = DataKind.captions
    public static let table = "captions"
    /// Media time of the frame (equal to the upstream frame's time).
    public var time: Double
    public var text: String
    public var model: String
    /// When the caption was reused from an earlier, perceptually identical frame: that frame's time.
    public var reusedFrom: Double?
    /// Where a caption describes more than its frame (`frames.caption` with `per: shot`): the end of
    /// the span it describes, from `time`; nil for one frame's caption.
    public var end: Double?
    public init(time: Double, text: String, model: String, reusedFrom: Double? = nil, end: Double? = nil) {
        self.time = time
        self.text = text
        self.model = model
        self.reusedFrom = reusedFrom
        self.end = end
    }
}
