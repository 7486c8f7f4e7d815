import Foundation
import Testing
import TestSupport
@testable import Stages

/// Reads subtitle files with the PyPI parsers `srt` and `webvtt-py` (installed by scripts/setup.sh).
enum IndependentSubtitleParser {
    struct Cue: Decodable, Equatable {
        var index: Int
        var startMs: Int
        var endMs: Int
        var text: String
    }

    /// WebVTT text is passed through Python's `html.unescape`, since webvtt-py returns character
    /// references as written (and strips tags). Many files are read in one Python process; a file a
    /// parser refuses gives its error instead of cues.
    static let script = #"""
        import datetime, html, json, sys
        kind, paths = sys.argv[1], sys.argv[2:]
        result = []
        for path in paths:
            out = []
            try:
                if kind == "srt":
                    import srt
                    ms = datetime.timedelta(milliseconds=1)
                    with open(path, encoding="utf-8") as f:
                        for s in srt.parse(f.read()):
                            out.append({"index": s.index, "startMs": s.start // ms, "endMs": s.end // ms, "text": s.content})
                else:
                    import webvtt
                    def millis(t):
                        h, m, rest = t.split(":")
                        sec, milli = rest.split(".")
                        return ((int(h) * 60 + int(m)) * 60 + int(sec)) * 1000 + int(milli)
                    for c in webvtt.read(path):
                        ident = c.identifier if c.identifier and c.identifier.isdigit() else "0"
                        out.append({"index": int(ident), "startMs": millis(c.start), "endMs": millis(c.end),
                                    "text": html.unescape(c.text)})
                result.append({"cues": out})
            except Exception as e:
                result.append({"error": type(e).__name__ + ": " + str(e)})
        print(json.dumps(result))
        """#

    struct Parsed: Decodable {
        var cues: [Cue]?
        var error: String?
    }

    /// Each file's cues (or the parser's error), in the order of `paths`.
    static func parseMany(_ paths: [String], as format: SubtitleFormat) throws -> [Parsed] {
        let json = try runCommand("python3", ["-c", script, format.rawValue] + paths)
        return try JSONDecoder().decode([Parsed].self, from: Data(json.utf8))
    }

    struct Refused: Error, CustomStringConvertible { var description: String }

    static func parse(_ path: String, as format: SubtitleFormat) throws -> [Cue] {
        let parsed = try parseMany([path], as: format)
        guard let cues = parsed.first?.cues else { throw Refused(description: parsed.first?.error ?? "no answer") }
        return cues
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
