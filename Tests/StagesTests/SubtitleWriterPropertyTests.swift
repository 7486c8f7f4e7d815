import Foundation
import Testing
import TestSupport
@testable import Stages

/// The SRT and WebVTT writers against hostile cues, property style: seeded random cue lists (markup,
/// arrows, control characters, every kind of line break, emoji and combining marks, right-to-left
/// text, empty and whitespace-only lines, negative, NaN, huge and unordered times) are rendered and
/// read back by the independent parsers (`srt`, `webvtt-py`). Every file must parse, with one cue
/// per cue that has text, in start order, end ≥ start, and the text a person would expect.
@Suite("Subtitle writers: property test against the independent parsers")
struct SubtitleWriterPropertyTests {
    static let cases = 120

    /// Pieces of text the generator strings together.
    static let pieces: [String] = [
        "hello", "world", "<b>", "</i>", "a < b", "x > y", "&amp;", "AT&T", "-->", "--", "->", "<v Roger>",
        "\u{0}", "\u{1}", "\u{1B}[31m", "\u{7F}", "\u{85}", "\r", "\r\n", "\n", "\n\n", "\t", "\u{2028}", "\u{2029}", "\u{0B}", "\u{0C}",
        "  ", " ", "é", "e\u{301}", "👩‍👩‍👧", "🎬", "שלום", "مرحبا", "\u{200F}", "\u{FEFF}", "日本語", "NOTE", "WEBVTT", "1", "00:00:01.000",
        "STYLE", "::cue", "{\\i1}", "&lt;", "&#62;", "\\N",
    ]

    struct Generated {
        var cues: [SubtitleCue]
    }

    static func generate(_ rng: inout SeededRandom) -> [SubtitleCue] {
        let count = Int(rng.next() % 6)
        return (0..<count).map { i in
            let lineCount = Int(rng.next() % 4)
            let lines = (0..<lineCount).map { _ in
                (0..<Int(rng.next() % 5)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            }
            let times: [Double] = [-3, .nan, .infinity, 0, 0.0004, 1.5, 59.9996, 3599.9995, 86_400 * 5, 12.25]
            let start = rng.next() % 3 == 0 ? times[Int(rng.next() % UInt64(times.count))] : Double(rng.next() % 100_000) / 1000
            let end = rng.next() % 4 == 0 ? times[Int(rng.next() % UInt64(times.count))] : start + Double(rng.next() % 5000) / 1000
            return SubtitleCue(index: i + 1, start: start, end: end, lines: lines)
        }
    }

    /// What a person expects to read back: control characters gone, each line on one line with
    /// its whitespace collapsed, empty lines and cues without text dropped, arrows kept apart in SRT.
    static func expectedText(_ cue: SubtitleCue, _ format: SubtitleFormat) -> String? {
        let lines = cue.lines.map { line -> String in
            let visible = String(String.UnicodeScalarView(line.unicodeScalars.map { scalar in
                scalar.properties.generalCategory == .control && !scalar.properties.isWhitespace ? " " : scalar
            }))
            var single = visible.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if format == .srt { while single.contains("-->") { single = single.replacingOccurrences(of: "-->", with: "->") } }
            return single
        }.filter { !$0.isEmpty }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    @Test("random hostile cues render to files the independent parsers read back as expected", arguments: SubtitleFormat.allCases)
    func hostileCuesRoundTrip(format: SubtitleFormat) throws {
        var rng = SeededRandom(seed: 0x5EED_0014)
        let dir = try TemporaryDirectory()
        var inputs: [[SubtitleCue]] = []
        var paths: [String] = []
        for i in 0..<Self.cases {
            let cues = Self.generate(&rng)
            let path = dir.path("case\(i).\(format.fileExtension)")
            try format.render(cues, note: "case \(i) -->\u{1B} note").write(toFile: path, atomically: true, encoding: .utf8)
            inputs.append(cues)
            paths.append(path)
        }
        let parsed = try IndependentSubtitleParser.parseMany(paths, as: format)
        #expect(parsed.count == Self.cases)
        for (i, (cues, result)) in zip(inputs, parsed).enumerated() {
            guard let got = result.cues else {
                Issue.record("case \(i) (\(format)): the parser refused the file: \(result.error ?? "?")")
                continue
            }
            // Expected: cues with text, in start order (ties in input order), times clamped to ≥ 0.
            let kept = cues.enumerated().compactMap { offset, cue in
                Self.expectedText(cue, format).map { (offset, cue, $0) }
            }.sorted { a, b in
                let sa = a.1.start.isFinite ? max(0, a.1.start) : 0, sb = b.1.start.isFinite ? max(0, b.1.start) : 0
                return (sa, a.0) < (sb, b.0)
            }
            #expect(got.map(\.text) == kept.map(\.2), "case \(i) (\(format))")
            for cue in got { #expect(cue.endMs >= cue.startMs, "case \(i) (\(format))") }
            for (a, b) in zip(got, got.dropFirst()) { #expect(a.startMs <= b.startMs, "case \(i) (\(format))") }
        }
    }
}
