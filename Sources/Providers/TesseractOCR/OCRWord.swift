/// One word Tesseract read, with its box in the pixel coordinates of the image given to `recognize`.
public struct OCRWord: Sendable, Equatable {
    public var text: String
    /// Tesseract's word confidence scaled to 0...1.
    public var confidence: Double
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    /// Index of the text line the word belongs to, in Tesseract's reading order (0-based).
    public var line: Int

    public init(text: String, confidence: Double, x: Int, y: Int, width: Int, height: Int, line: Int) {
        self.text = text
        self.confidence = confidence
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.line = line
    }
}
