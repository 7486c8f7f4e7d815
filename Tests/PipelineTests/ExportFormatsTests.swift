import Foundation
import Store
import Testing
import TestSupport

/// `vidpipe export --format summary|chapters|ffmetadata`, and the FFmetadata chapters muxed into an
/// MP4 by the real ffmpeg and read back by ffprobe.
@Suite("vidpipe export: summary, chapters, ffmetadata", .serialized)
struct ExportFormatsTests {
    static let titles = ["Opening", "Price = 5; tax # extra \\ done", "Close"]

    /// A store with one video (a 6 s lavfi MP4), its summary and three chapters.
    static func store(_ dir: TemporaryDirectory) throws -> (db: String, video: String) {
        let video = dir.path("clip.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=6", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p"], output: video)
        let db = dir.path("store.sqlite")
        let store = try VidpipeStore(path: db)
        let row = try store.registerVideo(path: video, fingerprint: "fp", sizeBytes: 1, mtimeNs: 1)
        try store.replaceStageResult(videoID: row.id, stage: "summary", fingerprint: "s", elapsedSeconds: 0, output: .reasoning([
            ReasoningItem(task: .summary, index: 0, start: 0, end: 6, text: "A test pattern for six seconds.", json: nil, model: "m"),
        ]))
        // The second chapter has no end: it ends where the next starts.
        let spans: [(Double, Double?)] = [(0, 1.5), (1.5, nil), (4.25, 6)]
        try store.replaceStageResult(videoID: row.id, stage: "chapters", fingerprint: "c", elapsedSeconds: 0, output: .reasoning(
            zip(spans, Self.titles).enumerated().map { i, pair in
                let json = #"{"title": \#(String(decoding: try! JSONEncoder().encode(pair.1), as: UTF8.self))}"#
                return ReasoningItem(task: .chapters, index: i, start: pair.0.0, end: pair.0.1, text: pair.1 + ": a part", json: json, model: "m")
            }))
        return (db, video)
    }

    static func vidpipe(_ arguments: [String]) throws -> ProcessOutput { try CLITests.vidpipe(arguments) }

    @Test("ffmetadata: escaped titles, millisecond times; ffmpeg muxes it and ffprobe reads the chapters back")
    func ffmetadataRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let (db, video) = try Self.store(dir)
        let export = try Self.vidpipe(["export", "clip.mp4", "--db", db, "--format", "ffmetadata", "--out", dir.path("chapters.txt")])
        #expect(export.status == 0, "\(export.stderr)")
        let text = try String(contentsOfFile: dir.path("chapters.txt"), encoding: .utf8)
        #expect(text == """
            ;FFMETADATA1

            [CHAPTER]
            TIMEBASE=1/1000
            START=0
            END=1500
            title=Opening

            [CHAPTER]
            TIMEBASE=1/1000
            START=1500
            END=4250
            title=Price \\= 5\\; tax \\# extra \\\\ done

            [CHAPTER]
            TIMEBASE=1/1000
            START=4250
            END=6000
            title=Close

            """)

        try runCommand("ffmpeg", ["-v", "error", "-nostdin", "-y", "-i", video, "-i", dir.path("chapters.txt"), "-map_metadata", "1",
                                  "-codec", "copy", dir.path("out.mp4")])
        let probe = try runCommand("ffprobe", ["-v", "error", "-show_chapters", "-of", "json", dir.path("out.mp4")])
        let chapters = (try JSONSerialization.jsonObject(with: Data(probe.utf8)) as? [String: Any])?["chapters"] as? [[String: Any]] ?? []
        #expect(chapters.count == 3, "\(probe)")
        #expect(chapters.compactMap { ($0["tags"] as? [String: String])?["title"] } == Self.titles)
        let starts = chapters.compactMap { ($0["start_time"] as? String).flatMap(Double.init) }
        let ends = chapters.compactMap { ($0["end_time"] as? String).flatMap(Double.init) }
        #expect(starts == [0, 1.5, 4.25])
        #expect(ends.count == 3 && abs(ends[0] - 1.5) < 0.001 && abs(ends[1] - 4.25) < 0.001 && abs(ends[2] - 6) < 0.05)
    }

    @Test("summary prints the text; chapters a WebVTT chapters track webvtt-py reads")
    func summaryAndChapters() throws {
        let dir = try TemporaryDirectory()
        let (db, _) = try Self.store(dir)
        let summary = try Self.vidpipe(["export", "clip.mp4", "--db", db, "--format", "summary"])
        #expect(summary.status == 0 && summary.stdout == "A test pattern for six seconds.\n", "\(summary.stderr)")
        let chapters = try Self.vidpipe(["export", "clip.mp4", "--db", db, "--format", "chapters", "--out", dir.path("c.vtt")])
        #expect(chapters.status == 0, "\(chapters.stderr)")
        let cues = try IndependentParsers.read(dir.path("c.vtt"), as: "vtt")
        #expect(cues == [.init(startMs: 0, endMs: 1500, text: "Opening"), .init(startMs: 1500, endMs: 4250, text: Self.titles[1]),
                         .init(startMs: 4250, endMs: 6000, text: "Close")])
    }

    @Test("missing results and misused options are one-line errors with exit 1")
    func errors() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path("store.sqlite")
        let store = try VidpipeStore(path: db)
        _ = try store.registerVideo(path: dir.path("bare.mp4"), fingerprint: "fp", sizeBytes: 1, mtimeNs: 1)
        let noSummary = try Self.vidpipe(["export", "bare.mp4", "--db", db, "--format", "summary"])
        #expect(noSummary.status == 1)
        #expect(noSummary.stderr.hasPrefix("error: no summary for \(dir.path("bare.mp4")) in \(db)\n  hint: add a reason.llm stage with task: summary"))
        let noChapters = try Self.vidpipe(["export", "bare.mp4", "--db", db, "--format", "ffmetadata"])
        #expect(noChapters.status == 1 && noChapters.stderr.hasPrefix("error: no chapters for"))
        let misused = try Self.vidpipe(["export", "bare.mp4", "--db", db, "--format", "json", "--language", "de"])
        #expect(misused.status != 0 && misused.stderr.contains("--language applies to --format srt or vtt only"))
        let badCode = try Self.vidpipe(["export", "bare.mp4", "--db", db, "--format", "srt", "--language", "../x"])
        #expect(badCode.status != 0 && badCode.stderr.contains("--language '../x' is not a language code"))
    }
}
