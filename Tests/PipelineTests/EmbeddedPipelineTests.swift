import Foundation
import Logging
import Pipeline
import Store
import Testing
import TestSupport

/// The whole offline pipeline on real recorded speech under a titled picture: VAD → PocketSphinx →
/// captions, OCR, and search over both, as `make demo` runs it.
@Suite("embedded engines end to end", .serialized)
struct EmbeddedPipelineTests {
    @Test func transcribesReadsCaptionsAndSearches() throws {
        let tmp = try TemporaryDirectory()
        let speech = SpeechRecording.testData + "/librivox/sense_and_sensibility_01_austen_64kb-0920.wav"
        let font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
        // 1.5 s of silence, the sentence (6.05 s), 1.5 s of silence; a navy picture titled NORLAND PARK
        try ffmpeg(["-f", "lavfi", "-t", "9", "-i", "color=c=navy:size=960x540:rate=25",
                    "-i", speech,
                    "-filter_complex", "[0:v]drawtext=fontfile=\(font):text='NORLAND PARK':fontsize=56:fontcolor=white:x=(w-tw)/2:y=h-th-60[v];"
                        + "[1:a]adelay=1500:all=1,apad=whole_dur=9[a]",
                    "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-t", "9"], output: tmp.path("videos/austen.mp4"))
        let pipeline = tmp.path("p.yml")
        try """
            version: 1
            name: embedded
            store: store.sqlite
            inputs: ["videos"]
            stages:
              frames: { use: frames.sample, with: { every: 2s } }
              ocr: { use: text.ocr, from: frames }
              segments: { use: speech.segments }
              speech: { use: speech.transcribe, from: segments }
              captions: { use: captions.export, from: speech, with: { out_dir: ../captions } }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let graph = try PipelineGraph.load(path: pipeline)
        let store = try VidpipeStore(path: graph.config.store!)
        let files = InputScanner(extensions: graph.config.extensions, baseDirectory: graph.config.baseDirectory)
            .scan(graph.config.inputs).files
        let runner = PipelineRunner(graph: graph, store: store, options: RunOptions(), logger: Logger(label: "test"))
        let summary = try runner.run(files: files)
        #expect(summary.videos.done == 1, "\(summary.failures)")

        let video = try #require(try store.findVideo(tmp.path("videos/austen.mp4")))
        let segments = try store.records(AudioSegment.self, videoID: video.id, stage: "segments").filter { $0.kind == .speech }
        #expect(segments.count == 1)
        #expect(abs((segments.first?.start ?? 0) - 1.5) < 0.4)
        let transcript = try store.records(TranscriptSegment.self, videoID: video.id, stage: "speech")
        let words = transcript.map(\.text).joined(separator: " ")
        #expect(words.contains("amiable") && words.contains("married"), "\(words)")
        // Whisper (the default engine): punctuated, cased, the language stored with each segment.
        #expect(transcript.allSatisfy { $0.language == "en" }, "\(transcript.map(\.language))")

        let spoken = try store.search("married")
        #expect(spoken.count == 1 && spoken[0].kind == .transcript && spoken[0].start_s >= 1.2 && spoken[0].start_s < 8)
        let onScreen = try store.search("norland", kind: .ocr)
        #expect(onScreen.count >= 1 && onScreen.allSatisfy { $0.video_id == video.id })
        let ocrNote = try store.stageResults(videoID: video.id).first { $0.stage == "ocr" }?.note
        #expect(ocrNote?.contains("reused") == true)

        // the caption files parse with an independent WebVTT parser and match the stored cues
        let cues = try store.records(SubtitleCue.self, videoID: video.id, stage: "captions")
        #expect(!cues.isEmpty)
        let vtt = tmp.path("captions/austen.vtt")
        let parsed = try runCommand("python3", ["-c", "import webvtt,sys; print(len(webvtt.read(sys.argv[1])))", vtt])
        #expect(Int(parsed.trimmingCharacters(in: .whitespacesAndNewlines)) == cues.count)
        #expect(FileManager.default.fileExists(atPath: tmp.path("captions/austen.srt")))

        // a second run does no stage work
        let again = try PipelineRunner(graph: graph, store: store, options: RunOptions(), logger: Logger(label: "test"))
            .run(files: files)
        #expect(again.videos.unchanged == 1)
    }
}
