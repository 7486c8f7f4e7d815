import Foundation
import Testing
import TestSupport
@testable import Stages

extension IndependentSubtitleParser {
    /// Each file's cues (or the parser's error), in the order of `paths`.
    static func parseMany(_ paths: [String], as format: SubtitleFormat) throws -> [Parsed] {
        try parseMany(paths, kind: format.rawValue)
    }

    static func parse(_ path: String, as format: SubtitleFormat) throws -> [Cue] {
        try parse(path, kind: format.rawValue)
    }

    /// What a parser should read back for `cues`: times rounded to milliseconds, lines joined by "\n".
    static func expected(_ cues: [SubtitleCue]) -> [Cue] {
        cues.enumerated().map { i, cue in
            Cue(index: i + 1, startMs: Int((cue.start * 1000).rounded()), endMs: Int((cue.end * 1000).rounded()),
                text: cue.lines.joined(separator: "\n"))
        }
    }
}

@Suite("Caption files: SRT and WebVTT")
struct CaptionSubtitleFormatTests {
    static let sample = [
        SubtitleCue(index: 1, start: 1, end: 3.5, lines: ["line1", "line2"]),
        SubtitleCue(index: 2, start: 3.58, end: 4.9996, lines: ["only line"]),
    ]

    @Test("timestamps: hh:mm:ss,mmm for SRT and hh:mm:ss.mmm for WebVTT, rounded to the millisecond")
    func timestamps() {
        #expect(SubtitleFormat.timestamp(0, format: .srt) == "00:00:00,000")
        #expect(SubtitleFormat.timestamp(3661.5, format: .srt) == "01:01:01,500")
        #expect(SubtitleFormat.timestamp(3661.5, format: .vtt) == "01:01:01.500")
        #expect(SubtitleFormat.timestamp(1.2344, format: .vtt) == "00:00:01.234")
        #expect(SubtitleFormat.timestamp(59.9996, format: .srt) == "00:01:00,000")
        #expect(SubtitleFormat.timestamp(360_000, format: .srt) == "100:00:00,000")
        #expect(SubtitleFormat.timestamp(-2, format: .srt) == "00:00:00,000")
        #expect(SubtitleFormat.timestamp(.nan, format: .vtt) == "00:00:00.000")
    }

    @Test("exact SRT and WebVTT text")
    func exactText() {
        #expect(SubtitleFormat.srt.render(Self.sample) == """
            1
            00:00:01,000 --> 00:00:03,500
            line1
            line2

            2
            00:00:03,580 --> 00:00:05,000
            only line


            """)
        #expect(SubtitleFormat.vtt.render(Self.sample, note: "made by\nvidpipe") == """
            WEBVTT

            NOTE made by vidpipe

            1
            00:00:01.000 --> 00:00:03.500
            line1
            line2

            2
            00:00:03.580 --> 00:00:05.000
            only line


            """)
        #expect(SubtitleFormat.vtt.render([]) == "WEBVTT\n\n")
        #expect(SubtitleFormat.srt.render([]) == "")
    }

    @Test("a built transcript's cues read back equal through the srt and webvtt-py parsers")
    func roundTrip() throws {
        let words = CaptionCueBuilderTests.timedWords(CaptionCueBuilderTests.monologue, from: 3595)
        let cues = CaptionCueBuilder().cues(from: CaptionCueBuilderTests.segments(words))
        #expect(cues.count >= 10)
        let dir = try TemporaryDirectory()
        for format in SubtitleFormat.allCases {
            let path = dir.path("monologue.\(format.fileExtension)")
            try format.render(cues, note: "vidpipe test").write(toFile: path, atomically: true, encoding: .utf8)
            let parsed = try IndependentSubtitleParser.parse(path, as: format)
            #expect(parsed == IndependentSubtitleParser.expected(cues), "\(format)")
            // The parsed times still obey the rules (crossing the hour mark on the way).
            #expect(parsed.first!.startMs < 3_600_000 && parsed.last!.endMs > 3_600_000)
            for (a, b) in zip(parsed, parsed.dropFirst()) { #expect(a.endMs <= b.startMs) }
            for cue in parsed {
                #expect(cue.endMs - cue.startMs <= 7000)
                let lines = cue.text.split(separator: "\n")
                #expect(lines.count <= 2 && lines.allSatisfy { $0.count <= 42 })
            }
        }
    }

    @Test("markup characters and arrows survive as literal text")
    func escaping() throws {
        let cues = [
            SubtitleCue(index: 1, start: 0.5, end: 2, lines: ["<b>& bold?</b>", "a --> b"]),
            SubtitleCue(index: 2, start: 2.5, end: 4, lines: ["fish & chips <3"]),
        ]
        let vtt = SubtitleFormat.vtt.render(cues)
        #expect(vtt.contains("&lt;b&gt;&amp; bold?&lt;/b&gt;\na --&gt; b\n"))
        #expect(vtt.components(separatedBy: "-->").count == 3)  // only the two timing lines
        let dir = try TemporaryDirectory()
        let vttPath = dir.path("escaped.vtt")
        try vtt.write(toFile: vttPath, atomically: true, encoding: .utf8)
        let parsedVTT = try IndependentSubtitleParser.parse(vttPath, as: .vtt)
        #expect(parsedVTT.map(\.text) == ["<b>& bold?</b>\na --> b", "fish & chips <3"])

        let srt = SubtitleFormat.srt.render(cues)
        #expect(srt.components(separatedBy: "-->").count == 3)
        let srtPath = dir.path("escaped.srt")
        try srt.write(toFile: srtPath, atomically: true, encoding: .utf8)
        let parsedSRT = try IndependentSubtitleParser.parse(srtPath, as: .srt)
        #expect(parsedSRT.map(\.text) == ["<b>& bold?</b>\na -> b", "fish & chips <3"])
    }

    @Test("cues from elsewhere: sorted, renumbered, line breaks flattened, empty cues skipped")
    func defensiveRendering() throws {
        let cues = [
            SubtitleCue(index: 7, start: 5, end: 6, lines: ["later"]),
            SubtitleCue(index: 3, start: 1, end: 2, lines: ["two\n\nparagraphs", "  "]),
            SubtitleCue(index: 4, start: 3, end: 2.5, lines: ["", " "]),
            SubtitleCue(index: 5, start: 3, end: 2.5, lines: ["ends before it starts"]),
        ]
        let dir = try TemporaryDirectory()
        for format in SubtitleFormat.allCases {
            let path = dir.path("defensive.\(format.fileExtension)")
            try format.render(cues).write(toFile: path, atomically: true, encoding: .utf8)
            let parsed = try IndependentSubtitleParser.parse(path, as: format)
            #expect(parsed == [
                .init(index: 1, startMs: 1000, endMs: 2000, text: "two paragraphs"),
                .init(index: 2, startMs: 3000, endMs: 3000, text: "ends before it starts"),
                .init(index: 3, startMs: 5000, endMs: 6000, text: "later"),
            ], "\(format)")
        }
    }
}
