import Foundation

/// Turns a timed transcript into caption cues that follow broadcast captioning practice.
///
/// - Words come from the segments' word timings, or, for a segment without them, from its text
///   with the segment's span shared by character count (see `CaptionWord.words`).
/// - A cue ends after a word that closes a sentence (`.`, `?`, `!`) and before a pause of at least
///   `pause` between words. Otherwise a cue grows until the next word would need more than
///   `maxLines` lines of `maxChars` characters or keep the cue on screen longer than
///   `maxDuration`; then it is cut after the last clause punctuation in its second half, else
///   before a trailing article or preposition, else after its last word.
/// - Timing: a cue starts with its first word and ends with its last. A cue shorter than
///   `minDuration` is extended, but never to within `gap` of the next cue's start; if still short,
///   it starts earlier, but no earlier than `gap` after the previous cue's end (nor before 0).
///   The gap never cuts a cue's own speech short: when the words run up to the next cue, the cue
///   ends at its last word (and never after the next cue starts). A cue is on screen at most
///   `maxDuration`. So a cue is shorter than `minDuration` only when its neighbours leave no room.
/// - Cues never overlap, are numbered from 1, and never have empty text.
public struct CaptionCueBuilder: Sendable {
    public struct Rules: Sendable, Equatable {
        /// Characters per line.
        public var maxChars = 42
        /// Lines per cue.
        public var maxLines = 2
        /// Seconds a cue should stay on screen at least.
        public var minDuration = 1.0
        /// Seconds a cue stays on screen at most.
        public var maxDuration = 7.0
        /// A silence between words at least this long (seconds) starts a new cue.
        public var pause = 0.5
        /// Seconds left between one cue's end and the next cue's start where possible (2 frames at 25 fps).
        public var gap = 0.08
        public init() {}
    }

    public var rules: Rules

    public init(rules: Rules = Rules()) {
        self.rules = rules
    }

    /// The cues for a transcript, in time order, indexed from 1.
    public func cues(from segments: [TranscriptSegment]) -> [SubtitleCue] {
        let words = CaptionWord.words(from: segments, maxChars: max(1, rules.maxChars))
        let breaker = CaptionLineBreaker(maxChars: max(1, rules.maxChars), maxLines: max(1, rules.maxLines))
        let groups = group(words, breaker: breaker)
        let spans = timings(for: groups)
        return zip(groups, spans).enumerated().map { i, pair in
            SubtitleCue(index: i + 1, start: pair.1.start, end: pair.1.end,
                        lines: breaker.lines(pair.0.map(\.text)))
        }
    }

    /// Splits the word stream into the words of each cue.
    func group(_ words: [CaptionWord], breaker: CaptionLineBreaker) -> [[CaptionWord]] {
        var groups: [[CaptionWord]] = []
        var current: [CaptionWord] = []
        for word in words {
            if let last = current.last, last.endsSentence || word.start - last.end >= rules.pause {
                groups.append(current)
                current = []
            }
            while !current.isEmpty,
                  !breaker.fits((current + [word]).map(\.text)) || word.end - current[0].start > rules.maxDuration {
                let cut = preferredCut(current)
                groups.append(Array(current[..<cut]))
                current = Array(current[cut...])
            }
            current.append(word)
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    /// Where to end a full cue (the number of its words that go out now): after the last word with
    /// clause punctuation in the cue's second half (by characters); else before trailing weak words
    /// (articles, short prepositions) when that leaves at least half; else all of it.
    func preferredCut(_ words: [CaptionWord]) -> Int {
        let total = words.reduce(0) { $0 + $1.text.count + 1 }
        var prefix = 0
        var clauseCut: Int?
        for (i, word) in words.enumerated() {
            prefix += word.text.count + 1
            if i < words.count - 1, word.endsClause, 2 * prefix >= total { clauseCut = i + 1 }
        }
        if let clauseCut { return clauseCut }
        var cut = words.count
        while cut > 1, words[cut - 1].isWeakEnding { cut -= 1 }
        let kept = words[..<cut].reduce(0) { $0 + $1.text.count + 1 }
        return 2 * kept >= total ? cut : words.count
    }

    /// Start and end of each cue on screen (see the type's documentation for the rules).
    func timings(for groups: [[CaptionWord]]) -> [(start: Double, end: Double)] {
        let starts = groups.map { $0[0].start }
        let speechEnds = groups.map { group in max(group[0].start, group.map(\.end).max() ?? group[0].start) }
        var spans: [(start: Double, end: Double)] = []
        for i in groups.indices {
            let start = starts[i]
            var end = max(speechEnds[i], start + rules.minDuration)
            if i + 1 < groups.count {
                let next = starts[i + 1]
                if end > next - rules.gap {
                    end = max(next - rules.gap, min(speechEnds[i], next))
                }
            }
            end = max(start, min(end, start + rules.maxDuration))
            spans.append((start, end))
        }
        // Still too short: start earlier into the free time after the previous cue.
        for i in spans.indices where spans[i].end - spans[i].start < rules.minDuration {
            let earliest = i > 0 ? spans[i - 1].end + rules.gap : 0
            let wanted = spans[i].end - rules.minDuration
            let start = max(earliest, wanted, 0)
            if start < spans[i].start { spans[i].start = start }
        }
        return spans
    }
}
