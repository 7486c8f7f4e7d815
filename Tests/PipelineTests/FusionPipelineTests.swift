import Foundation
import OpenAITestServer
import Pipeline
import Store
import Testing
import TestSupport

/// Early fusion (`reason.shot`) and interleaved shots (`frames.caption per: shot`) over `vidpipe run`
/// with the scripted OpenAI-compatible server.
@Suite("early fusion and interleaved shots against an OpenAI-compatible server", .serialized)
struct FusionPipelineTests {
    /// Two hard-cut shots of 2 s: a test pattern, then white with "EVENING NEWS" in large letters; sine audio.
    static func newsClip(at path: String) throws {
        let text = "drawtext=fontfile=\(TextFrameFixture.fontFile):text='EVENING NEWS':fontsize=56:fontcolor=black:x=30:y=150"
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=480x360:rate=25:duration=2",
                    "-f", "lavfi", "-i", "color=c=white:size=480x360:rate=25:duration=2,\(text)",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=4",
                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v]", "-map", "[v]", "-map", "2:a", "-c:a", "aac",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], output: path)
    }

    static func pipeline(_ dir: TemporaryDirectory, baseURL: String, stages: String) throws -> String {
        let path = dir.path("p.yml")
        try """
            version: 1
            name: fusion
            store: store.sqlite
            inputs: ["videos"]
            providers:
              local: { type: openai, base_url: "\(baseURL)", model: test-vlm, max_concurrency: 2, timeout: 10s, retries: 0 }
            stages:
              shots:    { use: shots.detect }
              frames:   { use: frames.sample, with: { every: 500ms } }
              ocr:      { use: text.ocr, from: frames }
              segments: { use: audio.segments }
              speech:   { use: speech.transcribe, from: segments, provider: local, with: { engine: openai, model: whisper-1 } }
              timeline: { use: timeline.fuse, from: [shots, ocr, speech] }
            \(stages)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The user turn of a chat request: its parts as "text:…" or "image".
    static func userParts(_ request: RecordedRequest) -> [String] {
        let messages = request.jsonObject?["messages"] as? [[String: Any]] ?? []
        guard let user = messages.last, let parts = user["content"] as? [[String: Any]] else { return [] }
        return parts.map { part in
            part["type"] as? String == "image_url" ? "image" : "text:" + (part["text"] as? String ?? "")
        }
    }

    @Test("reason.shot: one request per shot with its frames, speech and on-screen text; one record per shot; captions per shot too")
    func earlyFusion() async throws {
        let server = OpenAITestServer { request in
            switch request.path {
            case "/v1/audio/transcriptions":
                return .verboseTranscription([.init(start: 0.2, end: 3.6, text: "good evening")])
            case "/v1/chat/completions":
                let body = request.bodyText
                let model = request.jsonObject?["model"] as? String ?? "unnamed"
                if body.contains("<video_record>") {
                    return .chatCompletion(body.contains("EVENING") ? "A news title card." : "A test pattern.", model: model)
                }
                return .chatCompletion("Shot caption.", model: model)
            default:
                return .error(status: 404, message: "no route", type: "not_found")
            }
        }
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Self.newsClip(at: dir.path("videos/news.mp4"))
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL, stages: """
              describe: { use: frames.caption, from: [frames, shots], provider: local, with: { per: shot, max_images: 2 } }
              early:    { use: reason.shot, from: [timeline, frames], provider: local, with: { max_images: 3 } }
            """)
        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 0, "\(run.stderr)")

        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/news.mp4")))
        let shots = try store.records(ShotSpan.self, videoID: video.id, stage: "shots")
        #expect(shots.map(\.start) == [0, 2])
        let items = try store.records(ReasoningItem.self, videoID: video.id, stage: "early")
        #expect(items.map(\.text) == ["A test pattern.", "A news title card."])
        #expect(items.map(\.index) == [0, 1])
        #expect(items.map(\.start) == [0, 2] && items.map(\.end) == shots.map(\.end))
        #expect(items.allSatisfy { $0.model == "test-vlm" })

        let chats = server.requests(path: "/v1/chat/completions")
        let early = chats.filter { $0.bodyText.contains("<video_record>") }
        #expect(early.count == 2)
        let news = try #require(early.first { $0.bodyText.contains("[shot 1 ") })
        let parts = Self.userParts(news)
        // The record (on-screen text and speech) first, then each frame after its time (4 sampled, 3 sent), then the prompt.
        #expect(parts.count == 8, "\(parts)")
        #expect(parts[0].contains("on-screen text (") && parts[0].contains("EVENING NEWS"))
        // The transcript's words are split at the cut by their times: "evening" is spoken in shot 1, "good" in shot 0.
        #expect(parts[0].contains("speech (") && parts[0].contains("evening") && !parts[0].contains("good"), "\(parts[0])")
        let test = try #require(early.first { $0.bodyText.contains("[shot 0 ") })
        #expect(Self.userParts(test)[0].contains("speech (") && Self.userParts(test)[0].contains("good"))
        let expected: [String] = ["text:Frame at 2.0 s:", "image", "text:Frame at 3.0 s:", "image", "text:Frame at 3.5 s:", "image"]
        #expect(Array(parts[1...6]) == expected)
        #expect(parts[7].hasPrefix("text:Describe shot 1 (2.0–4.0 s)"))

        // frames.caption per: shot: one request a shot (at most 2 frames), one caption a shot at its first frame.
        let captionRequests = chats.filter { !$0.bodyText.contains("<video_record>") }
        #expect(captionRequests.count == 2)
        #expect(captionRequests.allSatisfy { Self.userParts($0).filter { $0 == "image" }.count == 2 })
        let captions = try store.records(FrameCaption.self, videoID: video.id, stage: "describe")
        #expect(captions.map(\.time) == [0, 2])
        #expect(captions.map(\.end) == shots.map(\.end).map { Optional($0) })
        let linked = try runCommand("sqlite3", [dir.path("store.sqlite"),
                                                "SELECT count(*) FROM captions WHERE stage = 'describe' AND frame_id IS NOT NULL"])
        #expect(linked.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let results = try store.stageResults(videoID: video.id)
        #expect(results.first { $0.stage == "describe" }?.note?.contains("2 shots captioned") == true)
        #expect(results.first { $0.stage == "early" }?.note?.contains("2 of 2 shots had more than max_images (3) frames") == true)
    }

    @Test("a model that refuses images: reason.shot failed with the server's reason, nothing stored for it; the rest done")
    func refusesImages() async throws {
        let server = OpenAITestServer { request in
            switch request.path {
            case "/v1/audio/transcriptions":
                return .verboseTranscription([.init(start: 0.2, end: 1.0, text: "hello")])
            case "/v1/chat/completions":
                if request.bodyText.contains("image_url") {
                    return .json(["error": ["code": 500, "type": "server_error",
                                            "message": "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"]],
                                 status: 500)
                }
                return .chatCompletion("text only")
            default:
                return .error(status: 404, message: "no route", type: "not_found")
            }
        }
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Self.newsClip(at: dir.path("videos/news.mp4"))
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL, stages: """
              early:    { use: reason.shot, from: [timeline, frames], provider: local, with: { model: text-only-llm } }
            """)
        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/news.mp4")))
        let early = try #require(try store.stageResults(videoID: video.id).first { $0.stage == "early" })
        #expect(early.status == .failed)
        #expect(early.error?.contains("model 'text-only-llm' does not accept images (server said: image input is not supported") == true,
                "\(early.error ?? "")")
        #expect(try store.records(ReasoningItem.self, videoID: video.id, stage: "early").isEmpty)
        let rows = try runCommand("sqlite3", [dir.path("store.sqlite"), "SELECT count(*) FROM reasoning_outputs"])
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try store.stageResults(videoID: video.id).first { $0.stage == "timeline" }?.status == .done)
    }

    @Test("vidpipe validate: an example image that is missing is a positioned one-line error; pipelines/interleaved.yml loads once its images exist")
    func validateExamples() throws {
        let dir = try TemporaryDirectory()
        let source = try String(contentsOfFile: CLITests.packageRoot + "/pipelines/interleaved.yml", encoding: .utf8)
        try source.write(toFile: dir.path("interleaved.yml"), atomically: true, encoding: .utf8)
        let missing = try CLITests.vidpipe(["validate", dir.path("interleaved.yml")])
        #expect(missing.status == 1)
        let line = try #require(missing.stderr.split(separator: "\n").first { $0.contains("error:") })
        #expect(line.contains("interleaved.yml:"), "\(line)")
        #expect(line.contains("invalid value for 'examples' in stage 'describe': examples[0]: no such file \(dir.path("examples/"))"),
                "\(missing.stderr)")

        // The images the pipeline's header says how to make.
        for name in ["street-1", "street-2", "street-3", "desk-1", "desk-2"] {
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120", "-frames:v", "1"], output: dir.path("examples/\(name).jpg"))
        }
        let ok = try CLITests.vidpipe(["validate", dir.path("interleaved.yml")])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("describe") && ok.stdout.contains("early") && ok.stdout.contains("summary"))
    }
}
