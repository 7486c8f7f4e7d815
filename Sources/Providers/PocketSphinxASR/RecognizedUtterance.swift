/// What PocketSphinx heard in one run of samples: the best hypothesis and its words, in media time.
public struct RecognizedUtterance: Sendable, Equatable {
    /// The best hypothesis, words separated by single spaces; empty when nothing was recognised.
    public var text: String
    /// Mean posterior probability of the words, 0...1 (0 without words).
    public var confidence: Double
    /// Posterior probability of the whole hypothesis, 0...1. It shrinks towards 0 as utterances get
    /// longer (about 0 for a 15-word sentence heard correctly), so `confidence` is the one to show.
    public var posterior: Double
    /// The hypothesis' words in time order, fillers (silence, noise, sentence marks) left out.
    public var words: [RecognizedWord]
    /// Media time of the first and one past the last sample decoded.
    public var start: Double
    public var end: Double

    public var isEmpty: Bool { words.isEmpty && text.isEmpty }

    public init(text: String, confidence: Double, posterior: Double, words: [RecognizedWord], start: Double, end: Double) {
        self.text = text
        self.confidence = confidence
        self.posterior = posterior
        self.words = words
        self.start = start
        self.end = end
    }
}
