import Foundation
import SherpaOnnx
import Workers

/// Transcribes speech segments with a sherpa-onnx offline model (Whisper, Moonshine, SenseVoice)
/// into StageKit's transcript values: the adapter behind `speech.transcribe`'s `engine: sherpa`.
/// Owns a recognizer; not Sendable: create and use it on one serial queue (a sink's).
final class SherpaTranscriber {
    let recognizer: SherpaOfflineRecognizer
    /// ONNX Runtime threads of the recognizer: the CPU budget units each decode holds.
    let threads: Int

    /// Loads the model; throws (before any C call) when the directory is missing or incomplete,
    /// with the missing files and where to download a model.
    init(modelDirectory: String, modelType: SherpaModelType, language: String = "", threads: Int = 1) throws {
        recognizer = try SherpaOfflineRecognizer(modelDirectory: modelDirectory, modelType: modelType,
                                                 language: language, threads: threads)
        self.threads = threads
    }

    /// Longest piece given to the model at once: Whisper reads a 30 s window and drops the rest.
    static let maxPieceSeconds = 28.0

    /// Transcribes one speech segment whose first sample is at media time `start`: one transcript
    /// segment per piece of at most 28 s (cut at the quietest 20 ms near each limit) that has words.
    func transcribe(samples: [Float], start: Double) throws -> [TranscriptSegment] {
        let rate = Double(SherpaOfflineRecognizer.sampleRate)
        var segments: [TranscriptSegment] = []
        for piece in Self.pieces(samples, maxSamples: Int(Self.maxPieceSeconds * rate)) {
            let pieceStart = start + Double(piece.lowerBound) / rate
            let recognition = try CPUBudget.shared.run(threads: threads) {
                try recognizer.recognize(samples: Array(samples[piece]), startTime: pieceStart)
            }
            if let segment = Self.segment(from: recognition, start: pieceStart, end: start + Double(piece.upperBound) / rate) {
                segments.append(segment)
            }
        }
        return segments
    }

    /// Splits `samples` into consecutive ranges of at most `maxSamples`, each cut at the quietest
    /// 20 ms window of its last seventh (a pause, where there is one) rather than mid-word.
    static func pieces(_ samples: [Float], maxSamples: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var from = 0
        let window = max(1, min(320, maxSamples / 50))
        while samples.count - from > maxSamples {
            let limit = from + maxSamples
            var cut = limit, quietest = Double.infinity
            var w = limit - window
            while w >= limit - maxSamples / 7 {
                var energy = 0.0
                for i in w..<(w + window) { energy += Double(samples[i]) * Double(samples[i]) }
                if energy < quietest { quietest = energy; cut = w + window / 2 }
                w -= window
            }
            ranges.append(from..<cut)
            from = cut
        }
        if from < samples.count { ranges.append(from..<samples.count) }
        return ranges
    }

    /// The transcript segment for a recognition of audio spanning [start, end) in media time.
    static func segment(from recognition: SherpaOfflineRecognizer.Recognition, start: Double, end: Double) -> TranscriptSegment? {
        let text = recognition.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        let tokens = recognition.tokens.filter { !isSpecial($0.text) }
        return TranscriptSegment(start: start, end: end, text: text,
                                 confidence: confidence(tokens), words: words(from: tokens, end: end))
    }

    /// Groups word pieces into words: a piece that begins with a space or SentencePiece's "▁"
    /// starts a word, other pieces continue it. Only when every piece has a time; a word ends at
    /// its last piece's end where the model gives durations, else where the next word begins (the
    /// last word at `end`).
    static func words(from tokens: [SherpaOfflineRecognizer.Token], end: Double) -> [WordTiming] {
        guard !tokens.isEmpty, tokens.allSatisfy({ $0.start != nil }) else { return [] }
        var groups: [[SherpaOfflineRecognizer.Token]] = []
        for token in tokens {
            let startsWord = token.text.hasPrefix(" ") || token.text.hasPrefix("\u{2581}")
            let piece = clean(token.text)
            let isPunctuation = !piece.isEmpty && piece.unicodeScalars.allSatisfy(CharacterSet.punctuationCharacters.contains)
            if groups.isEmpty || (startsWord && !isPunctuation) {
                groups.append([token])
            } else {
                groups[groups.count - 1].append(token)
            }
        }
        var words: [WordTiming] = []
        for (i, group) in groups.enumerated() {
            let word = group.map { clean($0.text) }.joined()
            guard !word.isEmpty, let wordStart = group[0].start else { continue }
            let last = group[group.count - 1]
            let wordEnd: Double
            if let lastStart = last.start, let duration = last.duration, duration > 0 {
                wordEnd = lastStart + duration
            } else if i + 1 < groups.count, let next = groups[i + 1][0].start {
                wordEnd = next
            } else {
                wordEnd = end
            }
            words.append(WordTiming(word: word, start: wordStart, end: max(wordStart, min(end, wordEnd)),
                                    confidence: confidence(group)))
        }
        return words
    }

    /// exp(mean log probability) of the pieces, when the model gives log probabilities.
    static func confidence(_ tokens: [SherpaOfflineRecognizer.Token]) -> Double? {
        let logs = tokens.compactMap(\.logProbability)
        guard !logs.isEmpty, logs.count == tokens.count else { return nil }
        return min(1, max(0, exp(logs.reduce(0, +) / Double(logs.count))))
    }

    private static func clean(_ piece: String) -> String {
        piece.replacingOccurrences(of: "\u{2581}", with: "").trimmingCharacters(in: .whitespaces)
    }

    /// Control tokens such as `<|en|>` or `<|NEUTRAL|>` that some models put in the token list.
    private static func isSpecial(_ piece: String) -> Bool {
        piece.hasPrefix("<|") && piece.hasSuffix("|>")
    }
}
