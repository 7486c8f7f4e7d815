import Foundation
import MediaIO
import ModelAPI
import Testing
import TestSupport
@testable import Stages

@Suite("reason.llm sidecars: NAME.summary.json, NAME.tags.json; chapter formats")
struct ReasoningFilesTests {
    static let record = [FusedShot(index: 0, start: 0, end: 8, keyframe: nil, captions: [], ocr: [],
                                   transcript: [TimedText(start: 1, end: 3, text: "good evening")])]

    static func context(_ provider: FakeModelProvider, _ dir: TemporaryDirectory, video: String = "clip.mp4") -> StageContext {
        let info = MediaInfo(formatName: "mp4", duration: 8, hasVideo: true, hasAudio: true, width: 320, height: 240, rotation: 0,
                             fps: 25, videoCodec: "h264", audioCodec: "aac", audioSampleRate: 48000, audioChannels: 1, frameCountHint: 200)
        return StageContext(videoPath: dir.path(video), info: info, upstream: ["timeline": .timeline(record)], provider: provider,
                            stageName: "reason")
    }

    /// Runs the task and writes its sidecars; returns the stored items.
    @discardableResult
    static func run(_ task: ReasoningTask, _ provider: FakeModelProvider, _ context: StageContext, outDir: String = "") throws -> [ReasoningItem] {
        var p = ReasonLLM.Parameters()
        p.task = task
        p.outDir = outDir
        let output = try compute(ReasonLLM.work(parameters: p, context: context))
        for sidecar in ReasonLLM.sidecars(parameters: p, context: context, output: output) { try sidecar.write() }
        guard case .reasoning(let items) = output else { return [] }
        return items
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    @Test("summary and tags are written as JSON beside the video (or in out_dir), marked as vidpipe's")
    func summaryAndTagsFiles() throws {
        let dir = try TemporaryDirectory()
        let summary = FakeModelProvider { _, _ in "An evening news bulletin." }
        try Self.run(.summary, summary, Self.context(summary, dir))
        let s = try Self.json(dir.path("clip.summary.json"))
        #expect(s["summary"] as? String == "An evening news bulletin.")
        #expect(s["start_s"] as? Double == 0 && s["end_s"] as? Double == 8)
        #expect(s["model"] as? String == "fake-model")
        #expect((s["vidpipe"] as? [String: String])?["source"] == dir.path("clip.mp4"))

        let tags = FakeModelProvider { _, _ in #"{"tags": ["News", "evening", "news"]}"# }
        try Self.run(.tags, tags, Self.context(tags, dir), outDir: "meta")
        #expect(try Self.json(dir.path("meta/clip.tags.json"))["tags"] as? [String] == ["news", "evening"])
        #expect(!FileManager.default.fileExists(atPath: dir.path("clip.tags.json")))
        // Other tasks write no JSON file.
        let qa = FakeModelProvider { _, _ in #"{"answer": "Yes.", "citations": []}"# }
        var p = ReasonLLM.Parameters()
        p.task = .qa
        p.questions = ["News?"]
        #expect(ReasonLLM.sidecars(parameters: p, context: Self.context(qa, dir), output: .reasoning([])).isEmpty)
    }

    @Test("a JSON file vidpipe did not write is never replaced; vidpipe's own is, on the next run")
    func neverOverwriteForeignJSON() throws {
        let dir = try TemporaryDirectory()
        let mine = #"{"summary": "my own notes"}"#
        try mine.write(toFile: dir.path("clip.summary.json"), atomically: true, encoding: .utf8)
        let provider = FakeModelProvider { _, _ in "First." }
        try Self.run(.summary, provider, Self.context(provider, dir))
        #expect(try String(contentsOfFile: dir.path("clip.summary.json"), encoding: .utf8) == mine)
        #expect(try Self.json(dir.path("clip.summary.vidpipe.json"))["summary"] as? String == "First.")
        let again = FakeModelProvider { _, _ in "Second." }
        try Self.run(.summary, again, Self.context(again, dir))
        #expect(try Self.json(dir.path("clip.summary.vidpipe.json"))["summary"] as? String == "Second.")
        #expect(try String(contentsOfFile: dir.path("clip.summary.json"), encoding: .utf8) == mine)

        // Both names taken by the user: the stage fails and replaces nothing.
        try mine.write(toFile: dir.path("clip.summary.vidpipe.json"), atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try Self.run(.summary, again, Self.context(again, dir)) }
        #expect(try String(contentsOfFile: dir.path("clip.summary.vidpipe.json"), encoding: .utf8) == mine)

        // Another video of the same name in the folder gets its own file.
        let other = FakeModelProvider { _, _ in "The other one." }
        let empty = try TemporaryDirectory()
        try Self.run(.summary, other, Self.context(other, empty, video: "clip.mp4"))
        try Self.run(.summary, other, Self.context(other, empty, video: "clip.mkv"))
        #expect((try Self.json(empty.path("clip.summary.json"))["vidpipe"] as? [String: String])?["source"] == empty.path("clip.mp4"))
        #expect((try Self.json(empty.path("clip.mkv.summary.json"))["vidpipe"] as? [String: String])?["source"] == empty.path("clip.mkv"))
    }

    @Test("FFmetadata escapes = ; # \\ and line breaks; chapter ends come from the next start or the duration")
    func ffmetadataText() {
        #expect(ChapterFormats.escapeMetadata("a=b;c#d\\e\nf\r\ng\th") == "a\\=b\\;c\\#d\\\\e\\\nf\\\ng h")
        let items = [ReasoningItem(task: .chapters, index: 1, start: 2.5, end: nil, text: "B: x", json: #"{"title":"B"}"#, model: "m"),
                     ReasoningItem(task: .chapters, index: 0, start: 0, end: nil, text: "A", json: nil, model: "m"),
                     ReasoningItem(task: .summary, index: 0, start: 0, end: 9, text: "not a chapter", json: nil, model: "m")]
        let chapters = ChapterFormats.chapters(items, duration: 9.0004)
        #expect(chapters == [.init(start: 0, end: 2.5, title: "A"), .init(start: 2.5, end: 9.0004, title: "B")])
        #expect(ChapterFormats.ffmetadata(chapters)
                == ";FFMETADATA1\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=2500\ntitle=A\n\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=2500\nEND=9000\ntitle=B\n")
    }
}
