import Foundation
import OpenAITestServer
import Pipeline
import Store
import Testing
import TestSupport

/// The model half end to end: `vidpipe run` with an OpenAI-compatible server (the test server, on
/// loopback, speaking the real wire format), `vidpipe ask`, `search --semantic`, the response
/// cache, and a run against a server that is down.
@Suite("model stages against an OpenAI-compatible server", .serialized)
struct ModelPipelineTests {
    static let apiKey = "sk-test-SECRET-d41d8cd98f00b204"

    /// Answers like a small multimodal model: captions for images, JSON for each schema, a summary otherwise.
    static let handler: OpenAITestServer.Handler = { request in
        switch request.path {
        case "/v1/chat/completions":
            let body = request.jsonObject ?? [:]
            let model = body["model"] as? String ?? "test-model"
            let format = body["response_format"] as? [String: Any]
            let schemaName = (format?["json_schema"] as? [String: Any])?["name"] as? String
            switch schemaName {
            case "chapters":
                return .chatCompletion(#"{"chapters": [{"start_s": 0, "title": "Test card", "summary": "A test card."}, {"start_s": 2, "title": "Colour bars", "summary": "Bars appear."}]}"#, model: model)
            case "tags":
                return .chatCompletion(#"{"tags": ["test pattern", "Colour Bars", "test pattern"]}"#, model: model)
            case "answer":
                return .chatCompletion(#"{"answer": "Colour bars are shown in the second shot.", "citations": [{"start_s": 2, "end_s": 4}]}"#,
                                       model: model, promptTokens: 100, completionTokens: 20)
            default:
                let hasImage = request.bodyText.contains("data:image/jpeg;base64,")
                return .chatCompletion(hasImage ? "Colour bars on a screen." : "A short video of three test patterns.", model: model)
            }
        case "/v1/embeddings":
            let inputs = (request.jsonObject?["input"] as? [Any] ?? []).map { "\($0)".lowercased() }
            return .embeddings(inputs.map { [$0.contains("bars") ? 1 : 0, $0.contains("hello") ? 1 : 0, 0.1] },
                               model: request.jsonObject?["model"] as? String ?? "embedder")
        case "/v1/audio/transcriptions":
            return .verboseTranscription([.init(start: 0.2, end: 1.0, text: "hello there")])
        default:
            return .error(status: 404, message: "no route for \(request.path)", type: "not_found")
        }
    }

    static func pipeline(_ dir: TemporaryDirectory, baseURL: String) throws -> String {
        let path = dir.path("p.yml")
        try """
            version: 1
            name: multimodal
            store: store.sqlite
            inputs: ["videos"]
            providers:
              local: { type: openai, base_url: "\(baseURL)", model: test-llm, api_key_env: VIDPIPE_TEST_KEY,
                       max_concurrency: 2, timeout: 10s, retries: 1 }
            stages:
              shots:     { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
              segments:  { use: audio.segments }
              speech:    { use: speech.transcribe, from: segments, provider: local, with: { engine: openai, model: whisper-1 } }
              describe:  { use: frames.caption, from: keyframes, provider: local, with: { model: test-vlm } }
              timeline:  { use: timeline.fuse, from: [shots, keyframes, describe, speech] }
              summary:   { use: reason.llm, from: timeline, provider: local, with: { task: summary } }
              chapters:  { use: reason.llm, from: timeline, provider: local, with: { task: chapters } }
              tags:      { use: reason.llm, from: timeline, provider: local, with: { task: tags } }
              answers:   { use: reason.llm, from: timeline, provider: local, with: { task: qa, questions: ["When are bars shown?"] } }
              embed:     { use: embed.text, from: [describe, speech], provider: local, with: { model: test-embedder } }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func vidpipe(_ arguments: [String], key: Bool = true) throws -> ProcessOutput {
        try CLITests.vidpipe(arguments, environment: key ? ["VIDPIPE_TEST_KEY": apiKey] : [:])
    }

    @Test("run fills captions, timeline, summary, chapters, tags, answers, embeddings; rerun is served from the cache")
    func fullRun() async throws {
        let server = OpenAITestServer(handler: Self.handler)
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 3, shotSeconds: 2, audio: true)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL)

        let run = try Self.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let integrity = try runCommand("sqlite3", [dir.path("store.sqlite"), "PRAGMA integrity_check"])
        #expect(integrity.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))

        let captions = try store.records(FrameCaption.self, videoID: video.id, stage: "describe")
        #expect(captions.count == 3 && captions.allSatisfy { $0.text == "Colour bars on a screen." && $0.model == "test-vlm" })
        let timeline = try store.records(FusedShot.self, videoID: video.id, stage: "timeline")
        #expect(timeline.count == 3)
        #expect(timeline.allSatisfy { $0.captions.contains { $0.text == "Colour bars on a screen." } })
        #expect(try store.records(ReasoningItem.self, videoID: video.id, stage: "summary").first?.text == "A short video of three test patterns.")
        let chapters = try store.records(ReasoningItem.self, videoID: video.id, stage: "chapters")
        #expect(chapters.map(\.start) == [0, 2])
        let vtt = dir.path("videos/clip.chapters.vtt")
        let parsed = try runCommand("python3", ["-c", "import webvtt,sys; print('|'.join(c.text for c in webvtt.read(sys.argv[1])))", vtt])
        #expect(parsed.trimmingCharacters(in: .whitespacesAndNewlines) == "Test card|Colour bars")
        #expect(try store.records(ReasoningItem.self, videoID: video.id, stage: "tags").first?.text == "test pattern, colour bars")
        let answer = try #require(try store.records(ReasoningItem.self, videoID: video.id, stage: "answers").first)
        #expect(answer.start == 2 && answer.end == 4)
        #expect(try store.search("bars", kind: .reasoning).count >= 1)
        #expect(try store.search("colour", kind: .caption).count == 3)
        #expect(try store.records(TranscriptSegment.self, videoID: video.id, stage: "speech").first?.text == "hello there")
        #expect(try store.records(Embedding.self, videoID: video.id, stage: "embed").count >= 2)

        // The JSON export carries the model outputs.
        let export = try Self.vidpipe(["export", "clip.mp4", "--db", dir.path("store.sqlite"), "--format", "json"])
        let document = try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any]
        let exported = document?["stages"] as? [String: [String: Any]]
        #expect((exported?["describe"]?["captions"] as? [Any])?.count == 3)
        #expect((exported?["timeline"]?["timeline"] as? [Any])?.count == 3)
        #expect((exported?["chapters"]?["reasoning"] as? [Any])?.count == 2)
        #expect((exported?["embed"]?["embeddings"] as? [String: Any])?["dim"] as? Int == 3)

        // What went over the wire.
        let chats = server.requests(path: "/v1/chat/completions")
        let imageRequest = try #require(chats.first { $0.bodyText.contains("image_url") })
        #expect(imageRequest.bodyText.contains("data:image/jpeg;base64,/9j/"))
        #expect(imageRequest.bearerToken == Self.apiKey)
        let upload = try #require(server.requests(path: "/v1/audio/transcriptions").first?.multipartParts)
        #expect(upload.part("file")?.body.starts(with: Array("RIFF".utf8)) == true)
        #expect(upload.part("model")?.text == "whisper-1")
        #expect(server.maxInFlight <= 2)

        // Token usage summed; the key is nowhere in the store or the output.
        let status = try Self.vidpipe(["status", "--db", dir.path("store.sqlite"), "--json"])
        #expect(status.stdout.contains("\"total_tokens\""))
        let storeBytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("store.sqlite")))
        #expect(storeBytes.range(of: Data(Self.apiKey.utf8)) == nil)
        #expect(!run.stdout.contains(Self.apiKey) && !run.stderr.contains(Self.apiKey))

        // Forget the stage results: every model stage runs again, and every answer comes from the cache.
        _ = try runCommand("sqlite3", [dir.path("store.sqlite"), "DELETE FROM stage_results"])
        server.resetRecords()
        let again = try Self.vidpipe(["run", pipeline])
        #expect(again.status == 0, "\(again.stderr)")
        // Nothing but the model-list lookups (the models' identities, once per run).
        let calls = server.requests.filter { $0.method != "GET" }
        #expect(calls.isEmpty, "\(calls.map(\.path))")
        #expect(try store.records(ReasoningItem.self, videoID: video.id, stage: "chapters").count == 2)

        // vidpipe ask: records and keyframes to the model, the answer with its times.
        server.resetRecords()
        let ask = try Self.vidpipe(["ask", "clip.mp4", "When are the colour bars shown?", "--pipeline", pipeline, "--json"])
        #expect(ask.status == 0, "\(ask.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(ask.stdout.utf8)) as? [String: Any]
        #expect(result?["answer"] as? String == "Colour bars are shown in the second shot.")
        let citations = result?["citations"] as? [[String: Double]]
        #expect(citations?.first?["start_s"] == 2)
        #expect((result?["images_sent"] as? Int ?? 0) >= 1)
        #expect(server.requests(path: "/v1/chat/completions").first?.bodyText.contains("image_url") == true)
        let plain = try Self.vidpipe(["ask", "clip.mp4", "When are the colour bars shown?", "--pipeline", pipeline])
        #expect(plain.stdout.contains("00:00:02.000 – 00:00:04.000"))

        // search --semantic embeds the query with the stored model and finds the captions that match.
        let semantic = try Self.vidpipe(["search", "colour bars", "--semantic", "--pipeline", pipeline, "--json"])
        #expect(semantic.status == 0, "\(semantic.stderr)")
        let hits = try JSONSerialization.jsonObject(with: Data(semantic.stdout.utf8)) as? [[String: Any]]
        #expect(hits?.first?["kind"] as? String == "caption")

        // The viewer searches by meaning with the same model, and writes nothing into the store.
        let before = try CLITests.dump(dir.path("store.sqlite"))
        let viewer = try ServeCLITests.Server(["--db", dir.path("store.sqlite"), "--pipeline", pipeline],
                                              environment: ["VIDPIPE_TEST_KEY": Self.apiKey])
        let byMeaning = try viewer.get("/api/search?q=colour%20bars&mode=semantic")
        #expect(byMeaning.status == 200, "\(byMeaning.body)")
        let vectorHits = try JSONSerialization.jsonObject(with: Data(byMeaning.body.utf8)) as? [[String: Any]]
        #expect(vectorHits?.first?["kind"] as? String == "caption")
        let page = try viewer.get("/search?q=colour%20bars&mode=semantic")
        #expect(page.body.contains("By meaning (test-embedder)"))
        #expect(page.body.contains("<span class=\"kind\">caption</span>"))
        #expect(viewer.stop() == 0)
        #expect(try CLITests.dump(dir.path("store.sqlite")) == before)
    }

    @Test("a server that is down fails the model stages with a clear reason; every embedded stage completes, quickly")
    func serverDown() async throws {
        let port = try await OpenAITestServer.closedPort()
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/a.mp4"), shots: 3, shotSeconds: 2, audio: true)
        try Fixture.hardCuts(at: dir.path("videos/b.mp4"), shots: 3, shotSeconds: 2, audio: true, variant: 1)
        let baseURL = "http://127.0.0.1:\(port)/v1"
        let pipeline = try Self.pipeline(dir, baseURL: baseURL)
        let started = Date()
        let run = try Self.vidpipe(["run", pipeline, "--json"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(run.status == 2)
        #expect(run.stdout.contains("cannot reach provider 'local' at \(baseURL): connection refused"), "\(run.stdout)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let stages = (summary?["stages"] as? [[String: Any]]) ?? []
        func count(_ stage: String, _ key: String) -> Int { stages.first { $0["stage"] as? String == stage }?[key] as? Int ?? -1 }
        for embedded in ["shots", "keyframes", "segments"] { #expect(count(embedded, "done") == 2, "\(embedded)") }
        #expect(count("describe", "failed") == 2)
        #expect(count("summary", "failed") == 2)
        #expect(elapsed < 60, "took \(elapsed) s")

        // Without the key in the environment the stage says which variable to set.
        let noKey = try Self.vidpipe(["run", pipeline, "--json"], key: false)
        #expect(noKey.stdout.contains("VIDPIPE_TEST_KEY"))
    }
}
