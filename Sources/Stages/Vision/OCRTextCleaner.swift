import TesseractOCR

/// Turns Tesseract's words into the stored text: drops words under the confidence floor and
/// punctuation-only words at the ends of a line (box edges and texture read as "|", "—", "."), drops
/// lines with no letter or digit left, and collapses whitespace. One box per remaining line.
enum OCRTextCleaner {
    struct Cleaned: Equatable {
        var text: String
        var confidence: Double
        var lines: [TextBox]
    }

    static func clean(_ page: OCRPage, minConfidence: Double) -> Cleaned {
        var lines: [TextBox] = []
        var keptConfidences: [Double] = []
        var start = 0
        while start < page.words.count {
            var end = start
            while end < page.words.count && page.words[end].line == page.words[start].line { end += 1 }
            var words = page.words[start..<end].filter { $0.confidence >= minConfidence }
                .map { word -> OCRWord in
                    var w = word
                    w.text = word.text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                    return w
                }
                .filter { !$0.text.isEmpty }
            while let first = words.first, !hasAlphanumeric(first.text) { words.removeFirst() }
            while let last = words.last, !hasAlphanumeric(last.text) { words.removeLast() }
            if !words.isEmpty {
                lines.append(box(of: words))
                keptConfidences += words.map(\.confidence)
            }
            start = end
        }
        let confidence = keptConfidences.isEmpty ? 0 : keptConfidences.reduce(0, +) / Double(keptConfidences.count)
        return Cleaned(text: lines.map(\.text).joined(separator: "\n"), confidence: confidence, lines: lines)
    }

    static func hasAlphanumeric(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    /// The union of the words' boxes, their text joined by spaces and their mean confidence.
    private static func box(of words: [OCRWord]) -> TextBox {
        let left = words.map(\.x).min()!, top = words.map(\.y).min()!
        let right = words.map { $0.x + $0.width }.max()!, bottom = words.map { $0.y + $0.height }.max()!
        return TextBox(x: left, y: top, width: right - left, height: bottom - top,
                       text: words.map(\.text).joined(separator: " "),
                       confidence: words.map(\.confidence).reduce(0, +) / Double(words.count))
    }
}
