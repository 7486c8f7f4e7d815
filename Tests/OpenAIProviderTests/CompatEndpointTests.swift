import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

/// Anthropic's and Google's OpenAI-compatible endpoints, by wire: the requests vidpipe sends them (paths
/// under their base URLs, the key as a bearer token, images as data URIs, the JSON mode) and their answers
/// and error bodies as their documentation gives them, replayed by the scripted server.
@Suite("Claude and Gemini through their OpenAI-compatible endpoints")
struct CompatEndpointTests {
    static let image: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]
    static let schema: JSONValue = .object(["type": .string("object"), "required": .array([.string("answer")]),
                                            "properties": .object(["answer": .object(["type": .string("string")])])])
    static let request = ChatRequest(model: nil, messages: [
        .system("You describe frames."),
        ChatMessage(role: .user, parts: [.text("Frame at 1.0 s:"), .jpeg(image), .text("What is shown?")]),
    ], maxTokens: 200, temperature: 0.2, responseFormat: .jsonSchema(name: "answer", schema: schema))

    /// `https://api.anthropic.com/v1/` with `ANTHROPIC_API_KEY`: the body is OpenAI's; the endpoint ignores
    /// `response_format` (Claude may wrap the JSON in prose, which vidpipe's answer reader takes out).
    @Test func claudeThroughAnthropicsEndpoint() async throws {
        try await withServer({ request in
            .json(["id": "msg_01", "object": "chat.completion", "created": 1_760_000_000, "model": "claude-sonnet-4-5",
                   "choices": [["index": 0, "finish_reason": "stop",
                                "message": ["role": "assistant", "content": "Here it is:\n{\"answer\": \"a harbour at dusk\"}"]]],
                   "usage": ["prompt_tokens": 1520, "completion_tokens": 14, "total_tokens": 1534]])
        }) { server in
            let provider = makeProvider(server.baseURL, model: "claude-sonnet-4-5", apiKeyEnv: "ANTHROPIC_API_KEY",
                                        environment: ["ANTHROPIC_API_KEY": "sk-ant-test-0123456789"])
            let result = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            await close(provider)
            let sent = try #require(server.requests.first)
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.bearerToken == "sk-ant-test-0123456789")
            let body = try #require(sent.jsonObject)
            #expect(body["model"] as? String == "claude-sonnet-4-5")
            #expect(body["max_tokens"] as? Int == 200)
            let messages = try #require(body["messages"] as? [[String: Any]])
            let parts = try #require(messages[1]["content"] as? [[String: Any]])
            #expect(parts.map { $0["type"] as? String } == ["text", "image_url", "text"])
            let url = (parts[1]["image_url"] as? [String: Any])?["url"] as? String
            #expect(url == "data:image/jpeg;base64," + Data(Self.image).base64EncodedString())
            #expect((body["response_format"] as? [String: Any])?["type"] as? String == "json_schema")
            #expect(result.model == "claude-sonnet-4-5")
            #expect(result.usage.totalTokens == 1534)
            #expect(result.text.contains("{\"answer\": \"a harbour at dusk\"}"))
        }
    }

    @Test func anthropicsContextErrorIsAContextOverflow() async throws {
        try await withServer({ _ in
            .json(["type": "error", "error": ["type": "invalid_request_error",
                                              "message": "prompt is too long: 215000 tokens > 200000 maximum"]], status: 400)
        }) { server in
            let provider = makeProvider(server.baseURL, model: "claude-sonnet-4-5")
            let error = try #require(await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.error)
            await close(provider)
            #expect(error.kind == .contextOverflow)
            #expect(error.promptTokens == 215000 && error.contextTokens == 200000)
            #expect(server.requests.count == 1)
        }
    }

    /// `https://generativelanguage.googleapis.com/v1beta/openai/` with `GEMINI_API_KEY`: chat and embeddings
    /// below that path; Gemini's error bodies are a JSON array of error objects.
    @Test func geminiThroughGooglesEndpoint() async throws {
        try await withServer({ request in
            switch request.path {
            case "/v1beta/openai/chat/completions":
                return .chatCompletion("{\"answer\": \"a harbour\"}", model: "gemini-2.5-flash")
            case "/v1beta/openai/embeddings":
                return .embeddings([[0.1, 0.2, 0.3]], model: "text-embedding-004")
            default:
                return .json([["error": ["code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"]]],
                             status: 404)
            }
        }) { server in
            let base = server.baseURL.replacingOccurrences(of: "/v1", with: "/v1beta/openai")
            let provider = makeProvider(base, model: "gemini-2.5-flash", apiKeyEnv: "GEMINI_API_KEY",
                                        environment: ["GEMINI_API_KEY": "AIza-test-key-0123456789"])
            let chat = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            let vectors = try await call { () throws(ModelProviderError) in
                try provider.embed(EmbeddingRequest(model: "text-embedding-004", inputs: [.text("harbour at dusk")]))
            }.get()
            let missing = try #require(await call { () throws(ModelProviderError) in
                try provider.transcribe(TranscriptionRequest(model: "whisper-1", wav: sampleWAV()))
            }.error)
            await close(provider)
            #expect(chat.text == "{\"answer\": \"a harbour\"}")
            #expect(vectors.vectors == [[0.1, 0.2, 0.3]])
            #expect(server.requests.map(\.path) == ["/v1beta/openai/chat/completions", "/v1beta/openai/embeddings",
                                                    "/v1beta/openai/audio/transcriptions"])
            #expect(server.requests.allSatisfy { $0.bearerToken == "AIza-test-key-0123456789" })
            let embedBody = try #require(server.requests[1].jsonObject)
            #expect(embedBody["model"] as? String == "text-embedding-004")
            #expect(embedBody["input"] as? [String] == ["harbour at dusk"])
            // The array-shaped error body is read for its message.
            #expect(missing.message.contains("Requested entity was not found."), "\(missing.message)")
            #expect(!missing.message.contains("[{"))
        }
    }
}
