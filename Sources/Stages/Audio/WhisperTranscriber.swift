import Foundation
import SherpaOnnx
import Synchronization

/// `speech.transcribe`'s Whisper engine for one video: packs of speech windows go to `workers`
/// recognizers side by side on a `TranscriptionQueue` (so memory stays bounded by `workers` packs
/// of ≤ 28 s). `finish` waits and returns the transcript in media time, one segment per speech window.
final class WhisperTranscriber: Sendable {
    struct Settings: Sendable, Equatable {
        var model: WhisperModelFolder
        /// A language code to force, or "" to detect it per pack (multilingual models).
        var language: String
        /// Packs decoded at once for one video (each by its own recognizer).
        var workers: Int
        /// ONNX Runtime threads per recognizer.
        var threads: Int
    }

    private struct State {
        var filtered = HallucinationFilter.Counts()
        /// Seconds of speech per language the model reported.
        var heard: [String: Double] = [:]
        /// Multilingual model, no language given: the language detected on the video's first pack,
        /// which every later pack is then decoded with.
        var detected: String?
        var submitted = 0
    }

    private let settings: Settings
    private let jobs: TranscriptionQueue
    private let state = Mutex(State())
    private var detects: Bool { settings.model.multilingual && settings.language.isEmpty }

    init(settings: Settings) {
        self.settings = settings
        jobs = TranscriptionQueue(label: "vidpipe.whisper", width: settings.workers)
    }

    func submit(_ pack: WhisperPack) throws {
        guard !pack.isEmpty else { return }
        // The first pack decides the video's language: later packs wait for it (and decode with it).
        if detects && state.withLock({ $0.detected == nil && $0.submitted > 0 }) { jobs.waitForAll() }
        let language = detects ? state.withLock({ $0.detected }) ?? "" : settings.language
        state.withLock { $0.submitted += 1 }
        let key = WhisperRecognizers.Key(directory: settings.model.directory, language: language, threads: settings.threads)
        let englishOnly = !settings.model.multilingual
        try jobs.submit { [self] in
            let recognition = try WhisperRecognizers.shared.withRecognizer(key) {
                try $0.recognize(samples: pack.samples, startTime: 0)
            }
            let language = englishOnly ? "en" : (key.language.isEmpty ? Self.code(recognition.language) : key.language)
            var counts = HallucinationFilter.Counts()
            let found = Self.segments(recognition, pack: pack, language: language, counts: &counts)
            state.withLock { state in
                state.filtered.add(counts)
                if let language { state.heard[language, default: 0] += pack.duration }
                if key.language.isEmpty, state.detected == nil { state.detected = language }
            }
            return found
        }
    }

    func finish() throws -> [TranscriptSegment] {
        try jobs.finish()
    }

    /// The stage note: model, language(s) heard, and what the hallucination filter removed.
    var note: String {
        state.withLock { state in
            var parts = ["model \(settings.model.name)"]
            let languages = state.heard.sorted { $0.value > $1.value }.map(\.key)
            if !languages.isEmpty {
                parts.append("language \(languages.joined(separator: ", "))"
                             + (detects ? " (detected on the first 28 s of speech)" : ""))
            }
            parts.append(state.filtered.summary)
            return parts.joined(separator: "; ")
        }
    }

    /// "<|de|>" or "de" → "de"; nil when empty.
    static func code(_ reported: String?) -> String? {
        guard let reported else { return nil }
        let code = reported.trimmingCharacters(in: CharacterSet(charactersIn: "<|>"))
        return code.isEmpty ? nil : code
    }

    /// The recognition of a pack as transcript segments in media time: its tokens' times mapped
    /// through the pack, grouped into words, the words split back into the pack's speech windows.
    static func segments(_ recognition: SherpaOfflineRecognizer.Recognition, pack: WhisperPack, language: String?,
                         counts: inout HallucinationFilter.Counts) -> [TranscriptSegment] {
        // Words in packed time first, then each word to the piece its onset falls in (its start plus
        // up to 0.15 s: cross-attention times run a little early at a piece's first word), and its
        // times through that piece (a word's end past its piece is clamped there).
        let packed = recognition.tokens.filter { !$0.text.hasPrefix("<|") }
        let words = SherpaTranscriber.words(from: packed, end: pack.duration)
        if words.isEmpty {
            // No token times (a model without alignment heads): the text over the whole pack.
            let text = recognition.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, let first = pack.pieces.first, let last = pack.pieces.last else { return [] }
            return [TranscriptSegment(start: first.mediaStart, end: last.mediaEnd, text: text, confidence: nil, language: language)]
        }
        var byPiece = [[WordTiming]](repeating: [], count: pack.pieces.count)
        for word in words {
            let onset = word.start + min(0.15, (word.end - word.start) / 2)
            guard let index = pack.pieces.lastIndex(where: { $0.packedStart <= onset }) ?? (pack.pieces.isEmpty ? nil : 0)
            else { continue }
            let piece = pack.pieces[index]
            let start = piece.mediaStart + min(max(0, word.start - piece.packedStart), piece.duration)
            let end = piece.mediaStart + min(max(0, word.end - piece.packedStart), piece.duration)
            byPiece[index].append(WordTiming(word: word.word, start: start, end: max(start, end), confidence: word.confidence))
        }
        var out: [TranscriptSegment] = []
        for (index, piece) in pack.pieces.enumerated() {
            let inside = HallucinationFilter.clean(byPiece[index], pieceSeconds: piece.duration, counts: &counts)
            guard let first = inside.first, let last = inside.last else { continue }
            out.append(TranscriptSegment(start: first.start, end: max(first.start, last.end),
                                         text: inside.map(\.word).joined(separator: " "), confidence: nil,
                                         words: inside, language: language))
        }
        return out
    }
}

/// Whisper's known failure modes on silence, music and noise: the same phrase looped, and stock
/// phrases from its training captions ("Thank you.", "Thanks for watching!") on a short piece.
enum HallucinationFilter {
    struct Counts: Sendable, Equatable {
        var repeatedWords = 0
        var stockPhrases = 0
        mutating func add(_ other: Counts) {
            repeatedWords += other.repeatedWords
            stockPhrases += other.stockPhrases
        }
        var summary: String {
            "hallucination filter: \(repeatedWords) looped words, \(stockPhrases) stock phrases removed"
        }
    }

    /// Phrases Whisper is known to invent over non-speech, compared lowercased without punctuation.
    static let stockPhrases: Set<String> = [
        "thank you", "thank you very much", "thanks for watching", "thank you for watching",
        "thank you so much for watching", "please subscribe", "subscribe", "you", "bye", "bye bye",
        "subtitles by the amara org community", "i'm sorry", "so", "okay",
    ]

    /// Removes loops (a phrase of 1–8 words repeated three or more times in a row keeps its first
    /// occurrence) and a piece shorter than 2 s whose whole text is a stock phrase.
    static func clean(_ words: [WordTiming], pieceSeconds: Double, counts: inout Counts) -> [WordTiming] {
        var kept = collapseLoops(words, counts: &counts)
        let text = kept.map { normalized($0.word) }.filter { !$0.isEmpty }.joined(separator: " ")
        if pieceSeconds < 2, stockPhrases.contains(text) {
            counts.stockPhrases += 1
            kept = []
        }
        return kept
    }

    static func collapseLoops(_ words: [WordTiming], counts: inout Counts) -> [WordTiming] {
        var out = words
        let keys = { (w: [WordTiming]) in w.map { normalized($0.word) } }
        var n = 1
        while n <= 8 {
            var i = 0
            var changed = false
            while i + 3 * n <= out.count {
                let phrase = keys(Array(out[i..<(i + n)]))
                var copies = 1
                while i + (copies + 1) * n <= out.count, keys(Array(out[(i + copies * n)..<(i + (copies + 1) * n)])) == phrase {
                    copies += 1
                }
                if copies >= 3 {
                    counts.repeatedWords += (copies - 1) * n
                    out.removeSubrange((i + n)..<(i + copies * n))
                    changed = true
                }
                i += 1
            }
            if !changed { n += 1 }
        }
        return out
    }

    static func normalized(_ word: String) -> String {
        String(word.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "'" })
    }
}
