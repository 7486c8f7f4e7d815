/// What Tesseract read on one image: the words with their boxes, and the text they make.
public struct OCRPage: Sendable, Equatable {
    /// The words line by line: words joined by a space, lines by a newline.
    public var text: String
    /// Mean word confidence, 0...1 (0 when no word was found).
    public var confidence: Double
    /// Every word in reading order.
    public var words: [OCRWord]

    public init(words: [OCRWord]) {
        self.words = words
        var lines: [[String]] = []
        var lastLine: Int?
        for word in words {
            if word.line != lastLine { lines.append([]) }
            lines[lines.count - 1].append(word.text)
            lastLine = word.line
        }
        text = lines.map { $0.joined(separator: " ") }.joined(separator: "\n")
        confidence = words.isEmpty ? 0 : words.map(\.confidence).reduce(0, +) / Double(words.count)
    }
}
