import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

@Suite("Format and image fallbacks")
struct FallbackTests {
    static let schema: JSONValue = .object(["type": .string("object"),
                                            "properties": .object(["label": .object(["type": .string("string")])])])
    static let request = ChatRequest(messages: [.system("Label the frame."), .user("Frame 12.")],
                                     responseFormat: .jsonSchema(name: "label", schema: schema))

    /// The last message's content text of a chat request.
    static func lastText(_ request: RecordedRequest) -> String {
        ((request.jsonObject?["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
    }

    @Test func refusedSchemaFallsBackToJSONObjectAndRemembers() async throws {
        try await withServer({ request in
            formatType(request) == "json_schema"
                ? .error(status: 400, message: "response_format type 'json_schema' is not supported")
                : .chatCompletion("{\"label\":\"cat\"}")
        }) { server in
            let cache = MemoryResponseCache()
            let provider = makeProvider(server.baseURL, cache: cache)
            let first = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            #expect(first.text == "{\"label\":\"cat\"}")
            #expect(first.formatUsed == .jsonObject)
            #expect(server.requests.map(formatType) == ["json_schema", "json_object"])
            // The schema moved into the prompt, on the last user message.
            let resent = Self.lastText(server.requests[1])
            #expect(resent.hasPrefix("Frame 12.\n\nAnswer with one JSON object and nothing else."))
            #expect(resent.contains(Self.schema.jsonText))
            #expect(Self.lastText(server.requests[0]) == "Frame 12.")

            // The question as asked is what is hashed: asking it again is a cache hit, despite the fallback.
            server.resetRecords()
            let again = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            #expect(again.cached == true)
            #expect(again.formatUsed == .jsonObject)
            #expect(server.requests.isEmpty)
            #expect(cache.records.count == 1)

            var changed = Self.request
            changed.messages[1] = .user("Frame 13.")
            let next = changed
            let second = try await call { () throws(ModelProviderError) in try provider.chat(next) }.get()
            await close(provider)
            #expect(second.formatUsed == .jsonObject)
            #expect(server.requests.map(formatType) == ["json_object"])
        }
    }

    @Test func refusedJSONObjectFallsBackToNoFormat() async throws {
        try await withServer({ request in
            formatType(request) == nil ? .chatCompletion("{\"label\":\"dog\"}")
                                       : .error(status: 422, message: "unknown field response_format")
        }) { server in
            let provider = makeProvider(server.baseURL)
            let first = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            #expect(first.formatUsed == .text)
            #expect(server.requests.map(formatType) == ["json_schema", "json_object", nil])
            #expect(Self.lastText(server.requests[2]).contains(Self.schema.jsonText))

            server.resetRecords()
            let second = try await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")], responseFormat: .jsonObject))
            }.get()
            await close(provider)
            #expect(second.formatUsed == .text)
            #expect(server.requests.map(formatType) == [nil])
            #expect(Self.lastText(server.requests[0]) == "x\n\nAnswer with one JSON object and nothing else.")
        }
    }

    @Test func anUnrelatedRefusalChangesNothingForLaterCalls() async throws {
        try await withServer({ request in
            request.index < 3 ? .error(status: 400, message: "messages[1].content must not be empty") : .chatCompletion("{}")
        }) { server in
            let provider = makeProvider(server.baseURL)
            let error = try #require(await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.error)
            #expect(error.kind == .http)
            #expect(error.message == "provider 'local' answered 400 Bad Request for POST /chat/completions: messages[1].content must not be empty")
            server.resetRecords()
            let later = try await call { () throws(ModelProviderError) in try provider.chat(Self.request) }.get()
            await close(provider)
            #expect(later.formatUsed == Self.request.responseFormat)
            #expect(server.requests.map(formatType) == ["json_schema"])
        }
    }

    @Test func refusedImagesAreUnsupportedAndRemembered() async throws {
        try await withServer({ request in
            let messages = request.jsonObject?["messages"] as? [[String: Any]] ?? []
            let hasArray = messages.contains { $0["content"] is [Any] }
            return hasArray ? .error(status: 400, message: "this model does not support image input")
                            : .chatCompletion("text is fine")
        }) { server in
            let provider = makeProvider(server.baseURL, model: "textonly")
            let withImage = ChatRequest(messages: [ChatMessage(role: .user, parts: [.text("see"), .jpeg([0xFF, 0xD8, 0xFF, 0xD9])])],
                                        responseFormat: .jsonSchema(name: "label", schema: Self.schema))
            let error = try #require(await call { () throws(ModelProviderError) in try provider.chat(withImage) }.error)
            #expect(error.kind == .unsupported)
            #expect(error.message == "provider 'local' model 'textonly' does not accept images (server said: this model does not support image input)")
            #expect(server.requests.count == 1)

            let again = try #require(await call { () throws(ModelProviderError) in try provider.chat(withImage) }.error)
            #expect(again.kind == .unsupported)
            #expect(again.message.contains("does not accept images (refused earlier:"))
            #expect(server.requests.count == 1)

            let text = try await call { () throws(ModelProviderError) in try provider.chat(ChatRequest(messages: [.user("hi")])) }.get()
            await close(provider)
            #expect(text.text == "text is fine")
            #expect(server.requests.count == 2)
        }
    }
}
