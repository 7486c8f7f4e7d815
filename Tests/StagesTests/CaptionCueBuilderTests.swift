import Foundation
import Testing
@testable import Stages

@Suite("Caption cue builder")
struct CaptionCueBuilderTests {
    static let epsilon = 1e-9

    /// Words spoken back to back: each lasts 0.07 s per character + 0.1 s, 0.05 s apart; a word
    /// followed by "|" in `script` is followed by a pause of `pauseAfter` instead.
    static func timedWords(_ script: String, from start: Double = 0, pauseAfter: Double = 0.8) -> [WordTiming] {
        var t = start
        var words: [WordTiming] = []
        for token in script.split(separator: " ") {
            let pause = token.hasSuffix("|")
            let word = pause ? String(token.dropLast()) : String(token)
            let duration = 0.07 * Double(word.count) + 0.1
            words.append(WordTiming(word: word, start: t, end: t + duration))
            t += duration + (pause ? pauseAfter : 0.05)
        }
        return words
    }

    /// Segments of at most `wordsPerSegment` words, with their word timings.
    static func segments(_ words: [WordTiming], wordsPerSegment: Int = 9) -> [TranscriptSegment] {
        stride(from: 0, to: words.count, by: wordsPerSegment).map { i in
            let chunk = Array(words[i..<min(i + wordsPerSegment, words.count)])
            return TranscriptSegment(start: chunk[0].start, end: chunk.last!.end,
                                     text: chunk.map(\.word).joined(separator: " "), confidence: 0.9, words: chunk)
        }
    }

    static let monologue = """
        When we started the archive project, nobody knew how many tapes were left in the basement, \
        and the first inventory took most of a winter. Some boxes held nothing but cleaning cassettes; \
        others held the only recordings of the town council from the nineteen seventies. Why did \
        nobody| label them? Because the people who recorded them assumed they would remember, and \
        of course they did not. So we built a simple rule: every tape gets a number, a date and a \
        description before it goes anywhere near a machine! That rule saved us more than once, \
        especially when the digitisation vendor returned files with scrambled names.
        """

    /// The rules every cue list must follow, given the rules it was built with.
    static func expectBroadcastRules(_ cues: [SubtitleCue], _ rules: CaptionCueBuilder.Rules,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(cues.map(\.index) == Array(1..<(cues.count + 1)), sourceLocation: sourceLocation)
        for (i, cue) in cues.enumerated() {
            #expect((1...rules.maxLines).contains(cue.lines.count), "cue \(cue.index) has \(cue.lines.count) lines", sourceLocation: sourceLocation)
            for line in cue.lines {
                #expect(!line.isEmpty && line.count <= rules.maxChars, "cue \(cue.index) line '\(line)'", sourceLocation: sourceLocation)
            }
            let duration = cue.end - cue.start
            #expect(duration >= 0 && duration <= rules.maxDuration + epsilon, "cue \(cue.index) lasts \(duration)", sourceLocation: sourceLocation)
            if i + 1 < cues.count {
                #expect(cue.end <= cues[i + 1].start + epsilon, "cue \(cue.index) overlaps the next", sourceLocation: sourceLocation)
            }
            if duration < rules.minDuration - epsilon {
                // Short only when the neighbours leave no room: it runs up to the next cue (minus the gap)
                // and starts no later than the gap after the previous one.
                let hasNext = i + 1 < cues.count
                #expect(hasNext, "the last cue \(cue.index) is short", sourceLocation: sourceLocation)
                if hasNext {
                    #expect(cue.end >= cues[i + 1].start - rules.gap - epsilon,
                            "short cue \(cue.index) could have been extended", sourceLocation: sourceLocation)
                }
                let earliest = i > 0 ? cues[i - 1].end + rules.gap : 0
                #expect(cue.start <= earliest + epsilon, "short cue \(cue.index) could have started earlier", sourceLocation: sourceLocation)
            }
        }
    }

    static func text(_ cue: SubtitleCue) -> String { cue.lines.joined(separator: " ") }

    @Test("a long monologue with word timings follows the line, duration, sentence and overlap rules")
    func monologue() throws {
        let words = Self.timedWords(Self.monologue)
        let rules = CaptionCueBuilder.Rules()
        let cues = CaptionCueBuilder(rules: rules).cues(from: Self.segments(words))
        #expect(cues.count >= 10)
        Self.expectBroadcastRules(cues, rules)
        // No word is lost, added or reordered.
        #expect(cues.map(Self.text).joined(separator: " ") == words.map(\.word).joined(separator: " "))
        // A sentence end is always the last word of a cue.
        for cue in cues {
            let cueWords = Self.text(cue).split(separator: " ")
            for word in cueWords.dropLast() {
                #expect(!(word.hasSuffix(".") || word.hasSuffix("?") || word.hasSuffix("!")),
                        "'\(word)' ends a sentence inside cue \(cue.index): \(Self.text(cue))")
            }
        }
        // The pause after "nobody" ends a cue; the next starts with "label".
        let labelCue = try #require(cues.firstIndex { Self.text($0).hasPrefix("label them?") })
        #expect(labelCue > 0 && Self.text(cues[labelCue - 1]).hasSuffix("nobody"))
        // Cues appear no later than their first word is spoken.
        var offset = 0
        for cue in cues {
            #expect(cue.start <= words[offset].start + Self.epsilon)
            offset += Self.text(cue).split(separator: " ").count
        }
        #expect(cues.contains { $0.lines.count == 2 })
    }

    @Test("sentence ends split cues even when the speech is continuous")
    func sentenceEnds() {
        let words = Self.timedWords("Hello there. How are you? I am fine! Thanks")
        let cues = CaptionCueBuilder().cues(from: Self.segments(words, wordsPerSegment: 20))
        #expect(cues.map(Self.text) == ["Hello there.", "How are you?", "I am fine!", "Thanks"])
        Self.expectBroadcastRules(cues, CaptionCueBuilder.Rules())
    }

    @Test("titles, abbreviations and initials do not end a sentence (Whisper writes \"Mr.\")")
    func abbreviationsDoNotSplit() {
        let words = Self.timedWords("And Mr. John F. Dashwood met Dr. Smith, e.g. at noon. It was I. Then we left.")
        let cues = CaptionCueBuilder().cues(from: Self.segments(words, wordsPerSegment: 30))
        #expect(cues.map(Self.text) == ["And Mr. John F. Dashwood met Dr. Smith, e.g. at noon.", "It was I.", "Then we left."])
        Self.expectBroadcastRules(cues, CaptionCueBuilder.Rules())
    }

    @Test("a pause of at least `pause` splits a cue; a shorter one does not")
    func pauseSplits() {
        let long = Self.timedWords("we walked down| to the market", pauseAfter: 0.6)
        #expect(CaptionCueBuilder().cues(from: Self.segments(long)).map(Self.text) == ["we walked down", "to the market"])
        let short = Self.timedWords("we walked down| to the market", pauseAfter: 0.4)
        #expect(CaptionCueBuilder().cues(from: Self.segments(short)).map(Self.text) == ["we walked down to the market"])
        var rules = CaptionCueBuilder.Rules()
        rules.pause = 0.3
        #expect(CaptionCueBuilder(rules: rules).cues(from: Self.segments(short)).count == 2)
    }

    @Test("short cues are extended to min_duration without overlapping; only boxed-in cues stay short")
    func minimumDuration() throws {
        func segment(_ text: String, _ start: Double, _ end: Double) -> TranscriptSegment {
            TranscriptSegment(start: start, end: end, text: text, confidence: nil,
                              words: [WordTiming(word: text, start: start, end: end)])
        }
        let rules = CaptionCueBuilder.Rules()
        // Room after: extended to start + 1 s.
        var cues = CaptionCueBuilder().cues(from: [segment("Yes.", 0.5, 0.7), segment("Right.", 3.0, 3.4)])
        #expect(cues.count == 2)
        #expect(abs(cues[0].start - 0.5) < 1e-9 && abs(cues[0].end - 1.5) < 1e-9)
        #expect(abs(cues[1].end - 4.0) < 1e-9)
        // Next cue 0.6 s later: ends 80 ms before it, then starts earlier (to 0) to make up the rest.
        cues = CaptionCueBuilder().cues(from: [segment("Yes.", 0.3, 0.5), segment("Right.", 0.9, 1.3)])
        #expect(abs(cues[0].end - 0.82) < 1e-9)
        #expect(abs(cues[0].start - 0.0) < 1e-9)
        Self.expectBroadcastRules(cues, rules)
        // Boxed in on both sides: shorter than 1 s, no overlap, gaps kept.
        cues = CaptionCueBuilder().cues(from: [segment("One.", 0.0, 1.5), segment("Two.", 1.7, 1.9), segment("Three.", 2.2, 3.0)])
        #expect(cues.count == 3)
        #expect(abs(cues[1].start - (cues[0].end + rules.gap)) < 1e-9)
        #expect(abs(cues[1].end - (2.2 - rules.gap)) < 1e-9)
        #expect(cues[1].end - cues[1].start < 1)
        Self.expectBroadcastRules(cues, rules)
        // Speech that runs right up to the next cue is not cut by the gap, and never overlaps.
        cues = CaptionCueBuilder().cues(from: [segment("Stop.", 0.0, 2.0), segment("Go.", 2.02, 2.5)])
        #expect(abs(cues[0].end - 2.0) < 1e-9)
        Self.expectBroadcastRules(cues, rules)
    }

    @Test("slow speech is split so no cue stays longer than max_duration")
    func maximumDuration() {
        let words = (0..<20).map { WordTiming(word: "la", start: Double($0), end: Double($0) + 0.95) }
        let rules = CaptionCueBuilder.Rules()
        let cues = CaptionCueBuilder().cues(from: Self.segments(words, wordsPerSegment: 20))
        #expect(cues.count == 3)
        #expect(cues.map { $0.lines.joined(separator: " ").split(separator: " ").count }.reduce(0, +) == 20)
        Self.expectBroadcastRules(cues, rules)
        // One word longer than max_duration: the cue is clamped.
        let long = CaptionCueBuilder().cues(from: [TranscriptSegment(start: 0, end: 12, text: "ooooh", confidence: nil)])
        #expect(long.count == 1 && abs(long[0].end - 7) < 1e-9)
    }

    @Test("segments without word timings share their span by character count")
    func distributedText() throws {
        let text = "Short one. Then a much longer second sentence follows here."
        let cues = CaptionCueBuilder().cues(from: [TranscriptSegment(start: 2, end: 8, text: text, confidence: 0.5)])
        #expect(cues.map(Self.text) == ["Short one.", "Then a much longer second sentence follows here."])
        let tokens = text.split(separator: " ")
        let total = Double(tokens.reduce(0) { $0 + $1.count + 1 })
        let secondStart = 2 + 6 * Double("Short".count + 1 + "one.".count + 1) / total
        #expect(abs(cues[1].start - secondStart) < 1e-9)
        #expect(abs(cues[0].start - 2) < 1e-9 && abs(cues[1].end - 8) < 1e-9)
        #expect(cues[1].lines.count == 2)
        // Spread over 10 s instead, the second sentence would stay on screen over 7 s: it is split.
        let slow = CaptionCueBuilder().cues(from: [TranscriptSegment(start: 2, end: 12, text: text, confidence: 0.5)])
        #expect(slow.count == 3)
        Self.expectBroadcastRules(slow, CaptionCueBuilder.Rules())
    }

    @Test("words longer than max_chars are hard-split; empty text makes no cue")
    func hardSplitAndEmpty() {
        let word = String(repeating: "abcdefghij", count: 10)
        let cues = CaptionCueBuilder().cues(from: [TranscriptSegment(start: 0, end: 5, text: "see \(word)", confidence: nil)])
        let lines = cues.flatMap(\.lines)
        #expect(lines.allSatisfy { $0.count <= 42 })
        #expect(lines.joined(separator: " ") == "see " + [String(word.prefix(42)), String(word.dropFirst(42).prefix(42)), String(word.suffix(16))].joined(separator: " "))
        Self.expectBroadcastRules(cues, CaptionCueBuilder.Rules())

        let empty = [TranscriptSegment(start: 0, end: 2, text: "  \n ", confidence: nil),
                     TranscriptSegment(start: 3, end: 4, text: "", confidence: nil,
                                       words: [WordTiming(word: " ", start: 3, end: 4)])]
        #expect(CaptionCueBuilder().cues(from: empty).isEmpty)
        #expect(CaptionCueBuilder().cues(from: []).isEmpty)
    }

    @Test("narrow limits: one line of 20 characters")
    func narrowLimits() {
        var rules = CaptionCueBuilder.Rules()
        rules.maxChars = 20
        rules.maxLines = 1
        let words = Self.timedWords(Self.monologue)
        let cues = CaptionCueBuilder(rules: rules).cues(from: Self.segments(words))
        Self.expectBroadcastRules(cues, rules)
        #expect(cues.map(Self.text).joined(separator: " ") == words.map(\.word).joined(separator: " "))
    }
}
