import Foundation

/// What the server answers to one request.
public struct TestResponse: Sendable {
    public var status: Int
    /// Extra headers; `Content-Length` is always set by the server.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Seconds to wait before answering (to test timeouts and concurrency); the request counts as in flight meanwhile.
    public var delay: Double

    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8] = [], delay: Double = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }

    /// The same response, answered after `seconds`.
    public func delayed(_ seconds: Double) -> TestResponse {
        var copy = self
        copy.delay = seconds
        return copy
    }

    /// The same response with one more header.
    public func adding(header name: String, _ value: String) -> TestResponse {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }

    /// Any JSON value (`[String: Any]`, arrays, strings, numbers) as `application/json`.
    public static func json(_ object: Any, status: Int = 200) -> TestResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed])) ?? Data("null".utf8)
        return TestResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }

    /// Raw text, e.g. malformed JSON.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain") -> TestResponse {
        TestResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// An OpenAI-shaped error: `{"error":{"message":…,"type":…,"code":null}}`.
    public static func error(status: Int, message: String, type: String = "invalid_request_error") -> TestResponse {
        json(["error": ["message": message, "type": type, "param": NSNull(), "code": NSNull()]], status: status)
    }

    /// A `chat.completion` with one choice whose message content is `content`, and `usage`.
    public static func chatCompletion(_ content: String, model: String = "test-model", promptTokens: Int = 10,
                                      completionTokens: Int = 5) -> TestResponse {
        json([
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [[
                "index": 0,
                "message": ["role": "assistant", "content": content],
                "finish_reason": "stop",
            ] as [String: Any]],
            "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                      "total_tokens": promptTokens + completionTokens],
        ])
    }

    /// One segment of a canned transcription: seconds and text.
    public struct Segment: Sendable {
        public var start: Double, end: Double, text: String
        public init(start: Double, end: Double, text: String) {
            self.start = start
            self.end = end
            self.text = text
        }
    }

    /// A `verbose_json` transcription: `text` is the segments joined; each segment's words are spread evenly
    /// over it in `words`.
    public static func verboseTranscription(_ segments: [Segment], language: String = "english",
                                            duration: Double? = nil) -> TestResponse {
        var words: [[String: Any]] = []
        for segment in segments {
            let tokens = segment.text.split(separator: " ")
            let step = tokens.isEmpty ? 0 : (segment.end - segment.start) / Double(tokens.count)
            for (i, token) in tokens.enumerated() {
                words.append(["word": String(token), "start": segment.start + Double(i) * step,
                              "end": segment.start + Double(i + 1) * step])
            }
        }
        return json([
            "task": "transcribe",
            "language": language,
            "duration": duration ?? segments.last?.end ?? 0,
            "text": segments.map(\.text).joined(separator: " "),
            "segments": segments.enumerated().map { i, s in
                ["id": i, "seek": 0, "start": s.start, "end": s.end, "text": s.text, "tokens": [Int](),
                 "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.2, "no_speech_prob": 0.01] as [String: Any]
            },
            "words": words,
        ])
    }

    /// A plain `json` transcription: `{"text": …}`.
    public static func plainTranscription(_ text: String) -> TestResponse { json(["text": text]) }

    /// An embeddings list, `data[i].index == i` unless `shuffled` lists them in reverse (clients must sort by index).
    public static func embeddings(_ vectors: [[Double]], model: String = "test-embedder", shuffled: Bool = false) -> TestResponse {
        var data: [[String: Any]] = vectors.enumerated().map { i, v in ["object": "embedding", "index": i, "embedding": v] }
        if shuffled { data.reverse() }
        return json([
            "object": "list",
            "model": model,
            "data": data,
            "usage": ["prompt_tokens": vectors.count * 3, "total_tokens": vectors.count * 3],
        ])
    }
}
