import Foundation
import OpenAITestServer
import Records
import Store
import TestSupport

/// A store made directly (no decoding): two videos with fused timelines and transcripts, optionally
/// with `embed.text` vectors; a pipeline whose provider is the in-suite OpenAI server; and a server
/// handler that answers each kind of `vidpipe ask` request recognisably.
enum AskFixture {
    static let apiKey = "sk-test-ask-0123456789"

    struct Archive {
        var db: String
        var pipeline: String
        var harbour: String
        var studio: String
    }

    static func archive(_ dir: TemporaryDirectory, baseURL: String, vectors: Bool = false) throws -> Archive {
        let db = dir.path("store.sqlite")
        let store = try VidpipeStore(path: db)
        let harbour = dir.path("videos/harbour.mp4"), studio = dir.path("videos/studio.mp4")
        for (i, path) in [harbour, studio].enumerated() {
            let row = try store.registerVideo(path: path, fingerprint: "fp-\(i)", sizeBytes: 1000 + Int64(i), mtimeNs: 0)
            let said = i == 0 ? "the lighthouse keeper walks along the harbour wall" : "the anchor reads the evening news"
            let seen = i == 0 ? "a white lighthouse on a rock" : "a news desk with two screens"
            try store.replaceStageResult(videoID: row.id, stage: "speech", fingerprint: "s", elapsedSeconds: 0, output: .transcript([
                TranscriptSegment(start: 4, end: 7.5, text: said, confidence: 0.9),
                TranscriptSegment(start: 30, end: 33, text: "thank you and goodbye", confidence: 0.9),
            ]))
            try store.replaceStageResult(videoID: row.id, stage: "describe", fingerprint: "d", elapsedSeconds: 0,
                                         output: .captions([FrameCaption(time: 5, text: seen, model: "test-vlm")]))
            try store.replaceStageResult(videoID: row.id, stage: "timeline", fingerprint: "t", elapsedSeconds: 0, output: .timeline([
                FusedShot(index: 0, start: 0, end: 2, keyframe: nil, captions: [TimedText(start: 1, end: 1, text: "colour bars")],
                          ocr: [], transcript: []),
                FusedShot(index: 1, start: 2, end: 10, keyframe: nil, captions: [TimedText(start: 5, end: 5, text: seen)],
                          ocr: [], transcript: [TimedText(start: 4, end: 7.5, text: said)]),
                FusedShot(index: 2, start: 10, end: 35, keyframe: nil, captions: [], ocr: [],
                          transcript: [TimedText(start: 30, end: 33, text: "thank you and goodbye")]),
            ]))
            if vectors {
                // [beacon-ness, news-ness, 0.1]: what the server's embeddings give the same words.
                try store.replaceStageResult(videoID: row.id, stage: "embed", fingerprint: "e", elapsedSeconds: 0, output: .embeddings([
                    Embedding(refKind: .caption, start: 5, end: 5, text: seen, vector: vector(seen), model: "test-embedder"),
                ]))
            }
            try store.setVideoStatus(videoID: row.id, status: .done, error: nil, warnings: [])
        }
        store.close()
        let pipeline = dir.path("p.yml")
        try """
            version: 1
            name: ask
            store: store.sqlite
            inputs: ["videos"]
            providers:
              local: { type: openai, base_url: "\(baseURL)", model: test-llm, api_key_env: VIDPIPE_TEST_KEY,
                       max_concurrency: 2, timeout: 10s, retries: 0 }
            stages:
              shots:    { use: shots.detect }
              segments: { use: audio.segments }
              speech:   { use: speech.transcribe, from: segments, provider: local, with: { engine: openai, model: whisper-1 } }
              timeline: { use: timeline.fuse, from: [shots, speech] }
              summary:  { use: reason.llm, from: timeline, provider: local, with: { task: summary } }
              embed:    { use: embed.text, from: [speech], provider: local, with: { model: test-embedder } }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        return Archive(db: db, pipeline: pipeline, harbour: harbour, studio: studio)
    }

    static func vector(_ text: String) -> [Float] {
        let t = text.lowercased()
        return [t.contains("lighthouse") || t.contains("beacon") ? 1 : 0, t.contains("news") ? 1 : 0, 0.1]
    }

    /// The text of a chat message (a plain string, or its text parts joined).
    static func text(_ message: [String: Any]) -> String {
        if let s = message["content"] as? String { return s }
        return (message["content"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }.joined(separator: "\n")
    }

    static func messages(_ request: RecordedRequest) -> [[String: Any]] {
        request.jsonObject?["messages"] as? [[String: Any]] ?? []
    }

    /// The schema a chat request asks for ("answer", "archive_answer"), nil for free text (a summary).
    static func schemaName(_ request: RecordedRequest) -> String? {
        ((request.jsonObject?["response_format"] as? [String: Any])?["json_schema"] as? [String: Any])?["name"] as? String
    }

    static let longAnswer = "The colour bars are shown from two to four seconds, right after the opening, and they stay on "
        + "screen while the tone plays; nothing else is shown in that part of the video at all."

    /// One video: an answer that names how many questions came before (so a test sees the history);
    /// archive: citations of moment 1 (kept, clamped), of a moment never sent and of a time outside
    /// moment 1 (both dropped); a summary for free-text requests. `failSummaries`: summaries get a 400.
    static func handler(longAnswers: Bool = false, failSummaries: Bool = false) -> OpenAITestServer.Handler {
        { request in
            switch request.path {
            case "/v1/chat/completions":
                let messages = messages(request)
                let earlier = messages.filter { $0["role"] as? String == "user" }.count - 1
                switch schemaName(request) {
                case "answer":
                    let answer = longAnswers ? longAnswer : "Answer after \(earlier) earlier questions."
                    return .chatCompletion(#"{"answer": "\#(answer)", "citations": [{"start_s": 2, "end_s": 4}]}"#, model: "test-llm")
                case "archive_answer":
                    return .chatCompletion(#"""
                        {"answer": "The lighthouse is in the harbour video (after \#(earlier) earlier questions).",
                         "citations": [{"moment": 1, "start_s": 0, "end_s": 100}, {"moment": 99, "start_s": 1, "end_s": 2},
                                       {"moment": 1, "start_s": 500, "end_s": 501}]}
                        """#, model: "test-llm")
                default:
                    if failSummaries { return .error(status: 400, message: "summaries are off today") }
                    return .chatCompletion("SUMMARY-OF-EARLIER: bars at 2-4 s were asked about.", model: "test-llm")
                }
            case "/v1/embeddings":
                let inputs = (request.jsonObject?["input"] as? [Any] ?? []).map { "\($0)" }
                return .embeddings(inputs.map { vector($0).map(Double.init) }, model: "test-embedder")
            default:
                return .error(status: 404, message: "no route for \(request.path)", type: "not_found")
            }
        }
    }

    static func vidpipe(_ arguments: [String]) throws -> ProcessOutput {
        try CLITests.vidpipe(arguments, environment: ["VIDPIPE_TEST_KEY": apiKey])
    }

    static func json(_ output: ProcessOutput) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
    }

    /// `conversation_turns` of a conversation as "role:text" lines.
    static func turns(_ db: String, _ conversation: Int) throws -> [String] {
        try runCommand("sqlite3", [db, "SELECT idx || '|' || role || '|' || text FROM conversation_turns "
                                      + "WHERE conversation_id = \(conversation) ORDER BY idx"])
            .split(separator: "\n").map(String.init)
    }
}
