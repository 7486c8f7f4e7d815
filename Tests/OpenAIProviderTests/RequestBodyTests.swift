import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

@Suite("What goes over the wire")
struct RequestBodyTests {
    @Test func chatWithImageAndSchemaSendsDataURIContentArrayAndJSONSchema() async throws {
        try await withServer { server in
            let provider = makeProvider(server.baseURL, model: "vlm")
            let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0xFF, 0xD9]
            let schema: JSONValue = .object(["type": .string("object"),
                                             "properties": .object(["caption": .object(["type": .string("string")])])])
            let request = ChatRequest(messages: [.system("You caption frames."),
                                                 ChatMessage(role: .user, parts: [.text("What is shown?"), .jpeg(jpeg)])],
                                      maxTokens: 50, temperature: 0.2,
                                      responseFormat: .jsonSchema(name: "caption", schema: schema))
            let result = try await call { () throws(ModelProviderError) in try provider.chat(request) }.get()
            await close(provider)

            #expect(result.text == "echo: image")
            #expect(result.model == "vlm")
            #expect(result.usage == TokenUsage(promptTokens: 10, completionTokens: 5, totalTokens: 15))
            #expect(result.cached == false)
            #expect(result.formatUsed == request.responseFormat)

            let sent = try #require(server.requests.first)
            #expect(server.requests.count == 1)
            #expect(sent.method == "POST")
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.header("content-type") == "application/json")
            #expect(sent.header("authorization") == nil)
            let body = try #require(sent.jsonObject)
            #expect(body["model"] as? String == "vlm")
            #expect(body["max_tokens"] as? Int == 50)
            #expect(body["temperature"] as? Double == 0.2)
            let messages = try #require(body["messages"] as? [[String: Any]])
            #expect(messages.count == 2)
            #expect(messages[0]["role"] as? String == "system")
            #expect(messages[0]["content"] as? String == "You caption frames.")
            let parts = try #require(messages[1]["content"] as? [[String: Any]])
            #expect(parts.count == 2)
            #expect(parts[0]["type"] as? String == "text")
            #expect(parts[0]["text"] as? String == "What is shown?")
            #expect(parts[1]["type"] as? String == "image_url")
            let url = (parts[1]["image_url"] as? [String: Any])?["url"] as? String
            #expect(url == "data:image/jpeg;base64," + Data(jpeg).base64EncodedString())
            let format = try #require(body["response_format"] as? [String: Any])
            #expect(format["type"] as? String == "json_schema")
            let jsonSchema = try #require(format["json_schema"] as? [String: Any])
            #expect(jsonSchema["name"] as? String == "caption")
            #expect(jsonSchema["strict"] as? Bool == true)
            let sentSchema = try #require(jsonSchema["schema"] as? [String: Any])
            #expect(sentSchema["type"] as? String == "object")
        }
    }

    @Test func textChatSendsPlainStringContentAndNoResponseFormat() async throws {
        try await withServer { server in
            let provider = makeProvider(server.baseURL)
            let result = try await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(model: "llama3", messages: [.user("hi")]))
            }.get()
            await close(provider)
            #expect(result.text == "echo: hi")
            #expect(result.formatUsed == .text)
            let body = try #require(server.requests.first?.jsonObject)
            #expect(body["model"] as? String == "llama3")
            #expect(body["response_format"] == nil)
            #expect(body["max_tokens"] == nil)
            #expect((body["messages"] as? [[String: Any]])?.first?["content"] as? String == "hi")
        }
    }

    @Test func transcriptionUploadsWAVAndFieldsAsMultipart() async throws {
        try await withServer { server in
            let provider = makeProvider(server.baseURL, model: "whisper-1")
            let wav = sampleWAV()
            let result = try await call { () throws(ModelProviderError) in
                try provider.transcribe(TranscriptionRequest(wav: wav, language: "en", prompt: "Names: Kenobi.", temperature: 0))
            }.get()
            await close(provider)

            #expect(result.text == "hello there general kenobi")
            #expect(result.language == "english")
            #expect(result.model == "whisper-1")
            #expect(result.segments == [TranscribedSpan(start: 0, end: 1.5, text: "hello there"),
                                        TranscribedSpan(start: 1.5, end: 3, text: "general kenobi")])
            #expect(result.words.map(\.text) == ["hello", "there", "general", "kenobi"])
            #expect(result.words.first?.end == 0.75)

            let sent = try #require(server.requests.first)
            #expect(sent.path == "/v1/audio/transcriptions")
            #expect(sent.header("content-type")?.hasPrefix("multipart/form-data; boundary=") == true)
            let parts = try #require(sent.multipartParts)
            let file = try #require(parts.part("file"))
            #expect(file.filename == "audio.wav")
            #expect(file.contentType == "audio/wav")
            #expect(file.body == wav)
            #expect(parts.part("model")?.text == "whisper-1")
            #expect(parts.part("response_format")?.text == "verbose_json")
            #expect(parts.part("language")?.text == "en")
            #expect(parts.part("prompt")?.text == "Names: Kenobi.")
            #expect(parts.part("temperature")?.text == "0.0")
            #expect(parts.values("timestamp_granularities[]") == ["segment", "word"])
        }
    }

    @Test func transcriptionFallsBackToPlainJSONAndRemembers() async throws {
        try await withServer({ request in
            let format = request.multipartParts?.part("response_format")?.text
            return format == "verbose_json" ? .error(status: 400, message: "response_format verbose_json not supported")
                                            : .plainTranscription("hello there")
        }) { server in
            let provider = makeProvider(server.baseURL, model: "whisper.cpp")
            let request = TranscriptionRequest(wav: sampleWAV())
            let first = try await call { () throws(ModelProviderError) in try provider.transcribe(request) }.get()
            #expect(first.text == "hello there")
            #expect(first.segments.isEmpty)
            #expect(server.requests.compactMap { $0.multipartParts?.part("response_format")?.text } == ["verbose_json", "json"])
            #expect(server.requests.last?.multipartParts?.values("timestamp_granularities[]") == [])

            server.resetRecords()
            _ = try await call { () throws(ModelProviderError) in try provider.transcribe(request) }.get()
            await close(provider)
            #expect(server.requests.compactMap { $0.multipartParts?.part("response_format")?.text } == ["json"])
        }
    }

    @Test func embeddingsComeBackInInputOrderWithImagesAsDataURIs() async throws {
        try await withServer({ request in
            let count = (request.jsonObject?["input"] as? [Any])?.count ?? 0
            return .embeddings((0..<count).map { [Double($0), 0.25] }, model: "clip", shuffled: true)
        }) { server in
            let provider = makeProvider(server.baseURL, model: "clip")
            let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xD9]
            let result = try await call { () throws(ModelProviderError) in
                try provider.embed(EmbeddingRequest(inputs: [.text("a cat"), .jpeg(jpeg), .text("a dog")]))
            }.get()
            await close(provider)
            #expect(result.vectors == [[0, 0.25], [1, 0.25], [2, 0.25]])
            #expect(result.model == "clip")
            #expect(result.usage.promptTokens == 9)
            let body = try #require(server.requests.first?.jsonObject)
            #expect(server.requests.first?.path == "/v1/embeddings")
            #expect(body["input"] as? [String] == ["a cat", "data:image/jpeg;base64," + Data(jpeg).base64EncodedString(), "a dog"])
        }
    }
}
