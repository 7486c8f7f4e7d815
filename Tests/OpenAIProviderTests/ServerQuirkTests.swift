import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

/// Real servers' refusals, in their own words: each handled for what it is, whatever its status.
@Suite("Server quirks: JSON-mode refusals, validation errors, context overflow, unknown models, finish_reason")
struct ServerQuirkTests {
    static let schema: JSONValue = .object(["type": .string("object"),
                                            "properties": .object(["tags": .object(["type": .string("array")])])])
    static let request = ChatRequest(messages: [.user("Tags for a cooking video.")],
                                     responseFormat: .jsonSchema(name: "tags", schema: schema))

    /// llama-cpp-python (FastAPI) answers json_schema with a 500 whose body is a pydantic validation error.
    static let llamaCppPythonRefusal = TestResponse.json([
        "detail": [["type": "literal_error", "loc": ["body", "response_format", "type"],
                    "msg": "Input should be 'text' or 'json_object'", "input": "json_schema"]],
    ], status: 500)

    /// An older llama.cpp server: a 500 naming the types it takes.
    static let oldLlamaCppRefusal = TestResponse.json([
        "error": ["code": 500, "type": "server_error",
                  "message": "response_format type must be one of \"text\" or \"json_object\", but got: json_schema"],
    ], status: 500)

    @Test(arguments: ["llama-cpp-python", "old llama.cpp"])
    func a500NamingResponseFormatStepsDownAtOnceAndIsRemembered(server kind: String) async throws {
        let refusal = kind == "llama-cpp-python" ? Self.llamaCppPythonRefusal : Self.oldLlamaCppRefusal
        try await withServer({ request in
            formatType(request) == "json_schema" ? refusal : .chatCompletion("{\"tags\":[\"pasta\"]}")
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 3)
            let first = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            #expect(first.formatUsed == .jsonObject)
            // No retries of the 500: one refusal, one request one step down.
            #expect(server.requests.map(formatType) == ["json_schema", "json_object"])

            server.resetRecords()
            var other = Self.request
            other.messages = [.user("Tags for a sailing video.")]
            let again = other
            let second = try await call { () throws(ModelProviderError) in try provider.chat(again) }.get()
            await close(provider)
            #expect(second.formatUsed == .jsonObject)
            #expect(server.requests.map(formatType) == ["json_object"])
        }
    }

    @Test func aValidationError500IsNotRetried() async throws {
        try await withServer({ _ in
            .json(["detail": [["type": "less_than_equal", "loc": ["body", "temperature"], "msg": "Input should be less than or equal to 2"]]],
                  status: 500)
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 3)
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")], temperature: 3))
            }.error)
            await close(provider)
            #expect(server.requests.count == 1)
            #expect(error.kind == .invalidRequest)
            #expect(error.message.contains("body.temperature: Input should be less than or equal to 2"))
            #expect(error.message.contains("not retried"))
        }
    }

    @Test func aTransient500IsStillRetried() async throws {
        try await withServer({ request in
            request.index == 0 ? .error(status: 500, message: "slot unavailable", type: "server_error") : .chatCompletion("ok")
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 2)
            let result = try await call { () throws(ModelProviderError) in try provider.chat(ChatRequest(messages: [.user("x")])) }.get()
            await close(provider)
            #expect(result.text == "ok")
            #expect(server.requests.count == 2)
        }
    }

    /// The body llama.cpp's server (xllamacpp 2026.10.11549) sent here for a 13,920-token prompt to a 2,048-token context.
    @Test func contextOverflowIsOneClearErrorWithTheNumbers() async throws {
        try await withServer({ _ in
            .json(["error": ["code": 400, "type": "exceed_context_size_error", "n_prompt_tokens": 13920, "n_ctx": 2048,
                             "message": "request (13920 tokens) exceeds the available context size (2048 tokens), try increasing it"]],
                  status: 400)
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 3)
            let error = try #require(await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.error)
            await close(provider)
            // Not taken as a refusal of the JSON mode: no step down, no retry.
            #expect(server.requests.map(formatType) == ["json_schema"])
            #expect(error.kind == .contextOverflow)
            #expect(error.promptTokens == 13920)
            #expect(error.contextTokens == 2048)
            #expect(error.message.hasPrefix("provider 'local': the prompt (13920 tokens) does not fit model 'test-model''s context (2048 tokens)"))
        }
    }

    @Test(arguments: [
        // vLLM / OpenAI
        ("This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4900 in the messages, 100 in the completion).", 5000, 4096),
        // llama-cpp-python
        ("Requested tokens (3100) exceed context window of 2048", 3100, 2048),
        // Anthropic's OpenAI-compatible endpoint
        ("prompt is too long: 210000 tokens > 200000 maximum", 210000, 200000),
    ])
    func contextOverflowNumbersAreReadFromEachServersWording(message: String, prompt: Int, context: Int) async throws {
        try await withServer({ _ in .error(status: 400, message: message) }) { server in
            let provider = makeProvider(server.baseURL)
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")]))
            }.error)
            await close(provider)
            #expect(error.kind == .contextOverflow)
            #expect(error.promptTokens == prompt)
            #expect(error.contextTokens == context)
        }
    }

    /// Ollama's wording; every later call for that model fails at once, with nothing sent.
    @Test func anUnknownModelIsSaidOnceAndNotAskedAgain() async throws {
        try await withServer({ _ in
            .json(["error": "model \"llava:13b\" not found, try pulling it first"], status: 404)
        }) { server in
            let provider = makeProvider(server.baseURL, model: "llava:13b", retries: 3)
            let first = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")]))
            }.error)
            #expect(first.kind == .unknownModel)
            #expect(first.message.hasPrefix("provider 'local' does not serve model 'llava:13b' (server said: model \"llava:13b\" not found, try pulling it first); set `model:`"))
            #expect(first.message.contains("/v1/models"))
            let second = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("y")]))
            }.error)
            await close(provider)
            #expect(second.kind == .unknownModel)
            #expect(second.message.hasSuffix("(refused earlier in this run; not sent again)"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func finishReasonIsKept() async throws {
        try await withServer({ _ in
            .json(["model": "m", "choices": [["index": 0, "finish_reason": "length",
                                              "message": ["role": "assistant", "content": "{\"tags\":[\"a\",\"b"]]]])
        }) { server in
            let provider = makeProvider(server.baseURL)
            let result = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            // From the response cache too.
            let cache = MemoryResponseCache()
            let cached = makeProvider(server.baseURL, cache: cache)
            _ = try await call { () throws(ModelProviderError) in try cached.chat(Self.request) }.get()
            let again = try await call { () throws(ModelProviderError) in try cached.chat(Self.request) }.get()
            await close(provider)
            await close(cached)
            #expect(result.finishReason == "length")
            #expect(result.wasCutAtMaxTokens)
            #expect(again.cached && again.wasCutAtMaxTokens)
        }
    }
}

@Suite("Server quirks: images refused with a 500")
struct ImageRefusalQuirkTests {
    /// llama.cpp's server without a projector (seen here with xllamacpp 2026.10.11549 and SmolLM2): a 500.
    @Test func a500RefusingImagesIsAnImageRefusalNotRetried() async throws {
        try await withServer({ _ in
            .json(["error": ["code": 500, "type": "server_error",
                             "message": "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"]],
                  status: 500)
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 3)
            let request = ChatRequest(messages: [ChatMessage(role: .user, parts: [.text("What is shown?"), .jpeg([0xFF, 0xD8, 0xFF])])])
            let error = try #require(await call { () throws(ModelProviderError) in try provider.chat(request) }.error)
            #expect(error.kind == .unsupported)
            #expect(error.message.hasPrefix("provider 'local' model 'test-model' does not accept images (server said: image input is not supported"))
            #expect(server.requests.count == 1)
            let again = try #require(await call { () throws(ModelProviderError) in try provider.chat(request) }.error)
            await close(provider)
            #expect(again.message.contains("refused earlier"))
            #expect(server.requests.count == 1)
        }
    }
}
