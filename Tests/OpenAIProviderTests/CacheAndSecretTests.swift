import Foundation
import ModelAPI
@testable import OpenAIProvider
import OpenAITestServer
import Testing

@Suite("Response cache and the API key")
struct CacheAndSecretTests {
    @Test func identicalCallsAreAnsweredFromTheCache() async throws {
        try await withServer { server in
            let cache = MemoryResponseCache()
            let provider = makeProvider(server.baseURL, cache: cache)
            let request = ChatRequest(messages: [ChatMessage(role: .user, parts: [.text("hi"), .jpeg([1, 2, 3])])],
                                      temperature: 0)
            let first = try await call { () throws(ModelProviderError) in try provider.chat(request) }.get()
            #expect(first.cached == false)
            #expect(server.requests.count == 1)
            let record = try #require(cache.records.first)
            #expect(record.provider == "local")
            #expect(record.endpoint == "/chat/completions")
            #expect(record.model == "test-model")
            #expect(record.usage.totalTokens == 15)
            #expect(record.requestHash.count == 64)
            #expect(record.elapsedSeconds > 0)

            let second = try await call { () throws(ModelProviderError) in try provider.chat(request) }.get()
            #expect(second.cached == true)
            #expect(second.text == first.text)
            #expect(second.usage == first.usage)
            #expect(server.requests.count == 1)

            // Another image is another question.
            var changed = request
            changed.messages[0].parts[1] = .jpeg([1, 2, 4])
            let other = changed
            _ = try await call { () throws(ModelProviderError) in try provider.chat(other) }.get()
            #expect(server.requests.count == 2)

            let wav = sampleWAV()
            for _ in 0..<2 {
                _ = try await call { () throws(ModelProviderError) in try provider.transcribe(TranscriptionRequest(wav: wav)) }.get()
                _ = try await call { () throws(ModelProviderError) in try provider.embed(EmbeddingRequest(inputs: [.text("a")])) }.get()
            }
            let cachedAudio = try await call { () throws(ModelProviderError) in try provider.transcribe(TranscriptionRequest(wav: wav)) }.get()
            await close(provider)
            #expect(cachedAudio.cached == true)
            #expect(cachedAudio.segments.count == 2)
            #expect(server.requests.count == 4)
            #expect(Set(cache.records.map(\.requestHash)).count == 4)
        }
    }

    @Test("a key the server echoes percent-encoded or JSON-escaped is redacted; so are base_url credentials")
    func secretsInEveryFormAreRedacted() async throws {
        let secret = "sk-test/9f8e+7d6c=5b4a"
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await withServer({ _ in
            .error(status: 401, message: "bad key \(encoded) (json: \(secret.replacingOccurrences(of: "/", with: "\\/")))")
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 0, apiKeyEnv: "VIDPIPE_TEST_KEY", environment: ["VIDPIPE_TEST_KEY": secret])
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("a")]))
            }.error)
            await close(provider)
            #expect(!error.message.contains(encoded) && !error.message.contains("9f8e"), "\(error.message)")
            #expect(error.message.contains("bad key [api key]"), "\(error.message)")
        }
        let port = try await OpenAITestServer.closedPort()
        let provider = makeProvider("http://alice:hunter2secret@127.0.0.1:\(port)/v1", retries: 0)
        let error = try #require(await call { () throws(ModelProviderError) in
            try provider.chat(ChatRequest(messages: [.user("x")]))
        }.error)
        await close(provider)
        #expect(error.message == "cannot reach provider 'local' at http://127.0.0.1:\(port)/v1: connection refused")
        #expect(!error.message.contains("hunter2secret") && !error.message.contains("alice"))
    }

    @Test func apiKeyReachesTheServerOnlyAsBearer() async throws {
        let secret = "sk-test-9f8e7d6c5b4a"
        try await withServer({ request in
            request.index == 0 ? .chatCompletion("ok")
                               : .error(status: 401, message: "Incorrect API key provided: \(secret). Check it.")
        }) { server in
            let logs = LogSink()
            let cache = MemoryResponseCache()
            let provider = makeProvider(server.baseURL, apiKeyEnv: "VIDPIPE_TEST_KEY",
                                        environment: ["VIDPIPE_TEST_KEY": secret], cache: cache, logger: logs.logger)
            _ = try await call { () throws(ModelProviderError) in try provider.chat(ChatRequest(messages: [.user("a")])) }.get()
            let jpeg: [UInt8] = Array(repeating: 0xAB, count: 300)
            let imageRequest = ChatRequest(messages: [ChatMessage(role: .user, parts: [.text("see"), .jpeg(jpeg)])])
            _ = await offPool { try? provider.chat(imageRequest) }
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("b")]))
            }.error)
            await close(provider)

            #expect(server.requests.map(\.bearerToken) == [secret, secret, secret])
            #expect(error.kind == .http)
            #expect(error.status == 401)
            #expect(error.message == "provider 'local' answered 401 Unauthorized for POST /chat/completions: Incorrect API key provided: [api key]. Check it.")
            #expect(!error.description.contains(secret))
            #expect(!String(describing: error).contains(secret))
            #expect(logs.count > 0)
            #expect(!logs.text.contains(secret))
            // One line per attempt, with what an operator needs and no payload.
            #expect(logs.text.contains("endpoint=POST /chat/completions"))
            #expect(logs.text.contains("status=200"))
            #expect(logs.text.contains("attempt=1"))
            #expect(logs.text.contains("elapsed_s="))
            #expect(!logs.text.contains(String(Data(jpeg).base64EncodedString().prefix(40))))
            #expect(!"\(cache.records)".contains(secret))

            // The hash does not depend on the key: a keyless provider hits the same cache entry.
            let keyless = makeProvider(server.baseURL, cache: cache)
            let cached = try await call { () throws(ModelProviderError) in try keyless.chat(ChatRequest(messages: [.user("a")])) }.get()
            await close(keyless)
            #expect(cached.cached == true)
        }
    }

    @Test func aProviderDroppedWithoutShutdownCleansUpAfterItself() async throws {
        try await withServer { server in
            // The provider lives only inside this closure; its event loop thread must end after it is dropped.
            let thread = await offPool { () -> String in
                let provider = makeProvider(server.baseURL)
                _ = try? provider.chat(ChatRequest(messages: [.user("a")]))
                return (try? provider.transport.eventLoopThreadName()) ?? ""
            }
            #expect(thread.hasPrefix("NIO-ELT-"), "\(thread)")
            func running() -> Bool {
                let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
                return tasks.contains { task in
                    (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) == thread
                }
            }
            let deadline = Date().addingTimeInterval(10)
            while running() && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!running(), "the event loop thread \(thread) of a dropped provider is still running")
            #expect(server.requests.count == 1)
        }
    }

    @Test func missingKeyVariableIsAConfigurationErrorBeforeAnyRequest() async throws {
        try await withServer { server in
            let provider = makeProvider(server.baseURL, apiKeyEnv: "OPENAI_API_KEY", environment: ["OPENAI_API_KEY": ""])
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("a")]))
            }.error)
            await close(provider)
            #expect(error.kind == .configuration)
            #expect(error.message == "provider 'local': environment variable OPENAI_API_KEY is not set (api_key_env)")
            #expect(server.requests.isEmpty)
        }
    }
}
