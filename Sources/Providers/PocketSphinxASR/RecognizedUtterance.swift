/// What PocketSphinx heard in one run of samples: the best hypothesis and its words, in media time.
public struct RecognizedUtterance: Sendable, Equatable {
    /// The best hypothesis, words separated by single spaces; empty when nothing was recognised.
    public var text: String
    /// Posterior probability of the hypothesis, 0...1.
    public var confidence: Double
    /// The hypothesis' words in time order, fillers (silence, noise, sentence marks) left out.
    public var words: [RecognizedWord]
    /// Media time of the first and one past the last sample decoded.
    public var start: Double
    public var end: Double

    public var isEmpty: Bool { words.isEmpty && text.isEmpty }

    public init(text: String, confidence: Double, words: [RecognizedWord], start: Double, end: Double) {
        self.text = text
        self.confidence = confidence
        self.words = words
        self.start = start
        self.end = end
    }
}
