/// One recognised word with its time in media seconds.
public struct RecognizedWord: Sendable, Equatable {
    /// The dictionary word, without the alternate-pronunciation marker ("the(2)" becomes "the").
    public var word: String
    public var start: Double
    public var end: Double
    /// Posterior probability of the word, 0...1.
    public var confidence: Double

}
