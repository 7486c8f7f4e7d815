import Foundation
import OpenAITestServer
import Pipeline
import Store
import Testing
import TestSupport

/// `captions.translate` end to end: `vidpipe run` with the OpenAI-compatible test server (speech from
/// its transcription endpoint, translations from its chat endpoint), the files read by the PyPI
/// parsers, search, `vidpipe export --language`, and a model answer that loses a cue.
@Suite("captions.translate against an OpenAI-compatible server", .serialized)
struct TranslatePipelineTests {
    static let speech: [TestResponse.Segment] = [
        .init(start: 0.2, end: 1.6, text: "Good evening."),
        .init(start: 1.8, end: 4.2, text: "Tonight we look at the weather across the whole country."),
        .init(start: 4.4, end: 5.6, text: "Then sport."),
    ]

    static let german = [
        "Good evening.": "Guten Abend.",
        "Tonight we look at the weather across the whole country.": "Heute Abend werfen wir einen Blick auf das Wetter im ganzen Land.",
        "Then sport.": "Dann Sport.",
    ]

    /// Transcribes `speech`; translates the numbered cues a request asks for (after "to translate:"),
    /// leaving out the cue numbers in `drop`.
    static func handler(drop: Set<Int> = []) -> OpenAITestServer.Handler {
        { request in
            switch request.path {
            case "/v1/audio/transcriptions":
                return .verboseTranscription(Self.speech)
            case "/v1/chat/completions":
                let messages = request.jsonObject?["messages"] as? [[String: Any]] ?? []
                let user = messages.count > 1 ? messages[1]["content"] as? String ?? "" : ""
                guard let open = user.range(of: "<subtitle_cues>\n"), let close = user.range(of: "\n</subtitle_cues>") else {
                    return .error(status: 400, message: "not a translation request")
                }
                var block = String(user[open.upperBound..<close.lowerBound])
                if let range = block.range(of: "to translate:\n") { block = String(block[range.upperBound...]) }
                var cues: [[String: Any]] = []
                for line in block.components(separatedBy: "\n") {
                    guard let match = line.wholeMatch(of: /\[(\d+)\] (.*)/), let n = Int(match.1), !drop.contains(n) else { continue }
                    cues.append(["i": n, "text": Self.german[String(match.2)] ?? "?"])
                }
                let json = try! JSONSerialization.data(withJSONObject: ["cues": cues])
                return .chatCompletion(String(decoding: json, as: UTF8.self), model: "test-translator")
            default:
                return .error(status: 404, message: "no route for \(request.path)", type: "not_found")
            }
        }
    }

    static func pipeline(_ dir: TemporaryDirectory, baseURL: String) throws -> String {
        let path = dir.path("p.yml")
        try """
            version: 1
            name: translate
            store: store.sqlite
            inputs: ["videos"]
            providers:
              local: { type: openai, base_url: "\(baseURL)", model: test-llm, api_key_env: VIDPIPE_TEST_KEY,
                       max_concurrency: 2, timeout: 10s, retries: 0 }
            stages:
              segments:  { use: audio.segments }
              speech:    { use: speech.transcribe, from: segments, provider: local, with: { engine: openai, model: whisper-1 } }
              captions:  { use: captions.export, from: speech, with: { formats: [vtt, srt] } }
              translate: { use: captions.translate, from: captions, provider: local, with: { languages: [de], batch_size: 2, context: 2 } }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func vidpipe(_ arguments: [String]) throws -> ProcessOutput {
        try CLITests.vidpipe(arguments, environment: ["VIDPIPE_TEST_KEY": "sk-test"])
    }

    @Test("run: NAME.de.vtt/.srt with the originals' times and the line rules, cues stored with their language, searchable, exported")
    func translatesInBatches() async throws {
        let server = OpenAITestServer(handler: Self.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 3, shotSeconds: 2, audio: true)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL)

        let run = try Self.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))
        let originals = try store.records(SubtitleCue.self, videoID: video.id, stage: "captions")
        let translated = try store.records(SubtitleCue.self, videoID: video.id, stage: "translate")
        #expect(originals.count >= 3)
        #expect(originals.allSatisfy { $0.language == nil })
        #expect(translated.allSatisfy { $0.language == "de" })
        // Same numbers and times, exactly; the text is the translation of each cue, laid out in at most 2 lines of 42.
        #expect(translated.map(\.index) == originals.map(\.index))
        #expect(translated.map(\.start) == originals.map(\.start))
        #expect(translated.map(\.end) == originals.map(\.end))
        #expect(translated.map { $0.lines.joined(separator: " ") } == originals.map { Self.german[$0.lines.joined(separator: " ")] ?? "" })
        #expect(translated.allSatisfy { $0.lines.count <= 2 && $0.lines.allSatisfy { $0.count <= 42 } })
        #expect(translated.contains { $0.lines.count == 2 })

        // Batches of 2 with context: each request holds its cues; the second the ones before as context.
        let chats = server.requests(path: "/v1/chat/completions")
        #expect(chats.count == (originals.count + 1) / 2)
        #expect(chats.contains { $0.bodyText.contains("context, the cues just before") })
        #expect(chats.allSatisfy { ($0.jsonObject?["response_format"] as? [String: Any])?["type"] as? String == "json_schema" })

        // The files, read by the independent parsers: the originals' times, the translated lines.
        let originalSRT = try IndependentParsers.read(dir.path("videos/clip.srt"), as: "srt")
        for (path, kind) in [(dir.path("videos/clip.de.srt"), "srt"), (dir.path("videos/clip.de.vtt"), "vtt")] {
            let cues = try IndependentParsers.read(path, as: kind)
            #expect(cues.map(\.startMs) == originalSRT.map(\.startMs), "\(path)")
            #expect(cues.map(\.endMs) == originalSRT.map(\.endMs), "\(path)")
            #expect(cues.map(\.text) == translated.map { $0.lines.joined(separator: "\n") }, "\(path)")
        }

        // Search finds a translated word (kind subtitle) at the cue's time; export renders either language.
        let search = try Self.vidpipe(["search", "Wetter", "--db", dir.path("store.sqlite"), "--json"])
        let hits = try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [[String: Any]]
        let weather = try #require(translated.first { $0.lines.joined(separator: " ").contains("Wetter") })
        #expect(hits?.count == 1)
        #expect(hits?.first?["kind"] as? String == "subtitle")
        #expect(hits?.first?["start_s"] as? Double == weather.start)
        let onlySubtitles = try Self.vidpipe(["search", "Wetter", "--kind", "subtitle", "--db", dir.path("store.sqlite")])
        #expect(onlySubtitles.status == 0, "\(onlySubtitles.stderr)")
        let german = try Self.vidpipe(["export", "clip.mp4", "--db", dir.path("store.sqlite"), "--format", "srt", "--language", "de"])
        #expect(german.status == 0, "\(german.stderr)")
        #expect(german.stdout == (try String(contentsOfFile: dir.path("videos/clip.de.srt"), encoding: .utf8)))
        let english = try Self.vidpipe(["export", "clip.mp4", "--db", dir.path("store.sqlite"), "--format", "srt"])
        #expect(english.stdout == (try String(contentsOfFile: dir.path("videos/clip.srt"), encoding: .utf8)))
        let french = try Self.vidpipe(["export", "clip.mp4", "--db", dir.path("store.sqlite"), "--format", "vtt", "--language", "fr"])
        #expect(french.status == 1)
        #expect(french.stderr.hasPrefix("error: no fr captions for \(dir.path("videos/clip.mp4")) in \(dir.path("store.sqlite")) (it has de)"))
    }

    @Test("the example pipeline validates")
    func examplePipelineValidates() throws {
        let ok = try Self.vidpipe(["validate", CLITests.packageRoot + "/pipelines/translate.yml"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let graph = try Self.vidpipe(["graph", CLITests.packageRoot + "/pipelines/translate.yml"])
        #expect(graph.stdout.contains("translate"))
    }

    @Test("a model answer without a cue number fails the stage with a clear error; no cue stored, no file written")
    func missingCueFailsTheStage() async throws {
        let server = OpenAITestServer(handler: Self.handler(drop: [2]))
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 3, shotSeconds: 2, audio: true)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL)

        let run = try Self.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 2, "\(run.stdout)\n\(run.stderr)")
        let db = dir.path("store.sqlite")
        let row = try runCommand("sqlite3", [db, "SELECT status || '|' || error FROM stage_results WHERE stage = 'translate'"])
        #expect(row.hasPrefix("failed|translate: the model's German (de) translation of cues 1–2 has no cue 2; nothing was stored"), "\(row)")
        #expect(try CLITests.count(db, "SELECT count(*) FROM subtitle_cues WHERE stage = 'translate'") == 0)
        #expect(try CLITests.count(db, "SELECT count(*) FROM subtitle_cues WHERE stage = 'captions'") >= 3)
        #expect(try CLITests.count(db, "SELECT count(*) FROM search WHERE kind = 'subtitle'") == 0)
        #expect(FileManager.default.fileExists(atPath: dir.path("videos/clip.srt")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("videos/clip.de.srt")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("videos/clip.de.vtt")))
    }
}
