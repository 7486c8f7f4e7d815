import Foundation

/// A word on the media timeline as the caption cue builder sees it: trimmed, non-empty, at most
/// `maxChars` characters, with `start <= end`.
struct CaptionWord: Sendable, Equatable {
    var text: String
    var start: Double
    var end: Double

    /// True when the word closes a sentence: it ends in `.`, `?`, `!` or `…`, possibly followed
    /// by closing quotes or brackets, and is not a title or abbreviation whose period belongs to it
    /// ("Mr.", "Dr.", "e.g.", an initial such as "J.").
    var endsSentence: Bool {
        let closers: Set<Character> = ["\"", "'", "”", "’", ")", "]", "»"]
        let core = text.reversed().drop { closers.contains($0) }
        guard let last = core.first else { return false }
        if last == "." && CaptionWord.isAbbreviation(String(core.reversed())) { return false }
        return [".", "?", "!", "…"].contains(last)
    }

    private static let abbreviations: Set<String> = [
        "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "mt.", "vs.", "e.g.", "i.e.", "fig.",
        "gen.", "gov.", "sen.", "rep.", "capt.", "col.", "lt.", "sgt.", "rev.", "hon.",
    ]

    /// A title, a common abbreviation, or a single-letter initial ("J."; not "I." or "A.", which are words).
    static func isAbbreviation(_ word: String) -> Bool {
        let lower = word.lowercased()
        if abbreviations.contains(lower) { return true }
        let letters = word.dropLast()
        return letters.count == 1 && letters.first.map { $0.isUppercase && $0 != "I" && $0 != "A" } == true
    }

    /// True when the word ends a clause: a comma, semicolon, colon or dash after it.
    var endsClause: Bool {
        guard let last = text.last else { return false }
        return [",", ";", ":", "–", "—"].contains(last)
    }

    /// Words a caption line or cue should not end on (articles, short prepositions, conjunctions).
    var isWeakEnding: Bool {
        CaptionWord.weakWords.contains(text.lowercased())
    }

    private static let weakWords: Set<String> = [
        "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "from", "by", "and", "or", "but",
        "my", "your", "his", "her", "our", "their", "its", "this", "that",
    ]

    /// The words of a transcript in time order. A segment's own word timings are used where the
    /// engine gave them; otherwise the segment's text is split on whitespace and its span is shared
    /// among the words by character count. Words longer than `maxChars` are hard-split into pieces
    /// of at most `maxChars` characters, each with a share of the word's time. Words with non-finite
    /// times are dropped; negative times are clamped to zero.
    static func words(from segments: [TranscriptSegment], maxChars: Int) -> [CaptionWord] {
        var result: [CaptionWord] = []
        for segment in segments {
            let given = segment.words.compactMap { timing in
                make(timing.word, start: timing.start, end: timing.end)
            }
            let timed = given.isEmpty ? distribute(segment.text, start: segment.start, end: segment.end) : given
            for word in timed {
                result += hardSplit(word, maxChars: maxChars)
            }
        }
        // Segments may overlap; keep the words in time order (stable for equal starts).
        return result.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
    }

    private static func make(_ text: String, start: Double, end: Double) -> CaptionWord? {
        let trimmed = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard !trimmed.isEmpty, start.isFinite, end.isFinite else { return nil }
        let s = max(0, start)
        return CaptionWord(text: trimmed, start: s, end: max(s, end))
    }

    /// Shares [start, end] among the whitespace-separated words of `text` by character count
    /// (each word's share counts one extra character for the space after it).
    static func distribute(_ text: String, start: Double, end: Double) -> [CaptionWord] {
        let tokens = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !tokens.isEmpty, start.isFinite, end.isFinite else { return [] }
        let s = max(0, start)
        let span = max(0, end - s)
        let total = Double(tokens.reduce(0) { $0 + $1.count + 1 })
        var cursor = s
        var words: [CaptionWord] = []
        for (i, token) in tokens.enumerated() {
            let share = span * Double(token.count + 1) / total
            let wordEnd = i == tokens.count - 1 ? s + span : cursor + share
            words.append(CaptionWord(text: token, start: cursor, end: wordEnd))
            cursor = wordEnd
        }
        return words
    }

    /// Splits a word longer than `maxChars` characters into pieces of at most `maxChars`, sharing
    /// its time by character count.
    static func hardSplit(_ word: CaptionWord, maxChars: Int) -> [CaptionWord] {
        let characters = Array(word.text)
        guard characters.count > maxChars, maxChars > 0 else { return [word] }
        let duration = word.end - word.start
        var pieces: [CaptionWord] = []
        var offset = 0
        while offset < characters.count {
            let upper = min(offset + maxChars, characters.count)
            let start = word.start + duration * Double(offset) / Double(characters.count)
            let end = upper == characters.count ? word.end : word.start + duration * Double(upper) / Double(characters.count)
            pieces.append(CaptionWord(text: String(characters[offset..<upper]), start: start, end: end))
            offset = upper
        }
        return pieces
    }
}
