import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

@Suite("Concurrency, retries, timeouts, failures")
struct DeliveryTests {
    @Test func chatAllNeverExceedsTheLimitAndKeepsOrder() async throws {
        try await withServer({ request in
            let messages = request.jsonObject?["messages"] as? [[String: Any]] ?? []
            return TestResponse.chatCompletion("echo: \(messages.last?["content"] as? String ?? "")").delayed(0.1)
        }) { server in
            let provider = makeProvider(server.baseURL, maxConcurrency: 3)
            let requests = (0..<12).map { ChatRequest(messages: [.user("q\($0)")]) }
            let results = await offPool { provider.chatAll(requests) }
            #expect(results.compactMap(\.value).map(\.text) == (0..<12).map { "echo: q\($0)" })
            #expect(server.requests.count == 12)
            #expect(server.maxInFlight == 3)

            // Two callers on two threads share the same three slots.
            server.resetRecords()
            async let a = offPool { provider.chatAll(Array(requests[0..<6])) }
            async let b = offPool { provider.chatAll(Array(requests[6..<12])) }
            let (ra, rb) = await (a, b)
            await close(provider)
            #expect((ra + rb).allSatisfy { $0.value != nil })
            #expect(server.maxInFlight == 3)
        }
    }

    /// Stages call from their own serial Dispatch queues: eight blocked at once still complete together.
    /// (Not `DispatchQueue.global()`: on Linux, threads blocked there starve Swift concurrency's pool for the
    /// whole process — here, the test server's handlers.)
    @Test func callsFromSerialDispatchQueuesCompleteTogether() async throws {
        try await withServer({ _ in TestResponse.chatCompletion("ok").delayed(0.2) }) { server in
            let provider = makeProvider(server.baseURL, maxConcurrency: 8)
            let start = Date()
            let texts: [String] = await withCheckedContinuation { continuation in
                let group = DispatchGroup()
                let collected = LockedList<String>()
                for i in 0..<8 {
                    DispatchQueue(label: "test.stage.\(i)").async(group: group) {
                        collected.append((try? provider.chat(ChatRequest(messages: [.user("\(i)")])).text) ?? "failed")
                    }
                }
                group.notify(queue: .global()) { continuation.resume(returning: collected.items) }
            }
            _ = start
            await close(provider)
            #expect(texts == Array(repeating: "ok", count: 8))
            #expect(server.maxInFlight == 8)  // all eight blocked callers were in flight together
        }
    }

    @Test func retryAfterOn429IsHonoured() async throws {
        try await withServer({ request in
            request.index == 0
                ? TestResponse.error(status: 429, message: "slow down", type: "rate_limit").adding(header: "Retry-After", "1")
                : .chatCompletion("ok")
        }) { server in
            let provider = makeProvider(server.baseURL)
            let (outcome, elapsed) = await timedCall { () throws(ModelProviderError) in try provider.chat(ChatRequest(messages: [.user("x")])) }
            let result = try outcome.get()
            await close(provider)
            #expect(result.text == "ok")
            #expect(server.requests.count == 2)
            #expect(elapsed >= 0.95)
            #expect(elapsed < 10)  // the header's second, not a backoff of its own
        }
    }

    @Test func serverErrorsAreRetriedABoundedNumberOfTimes() async throws {
        try await withServer({ _ in .error(status: 500, message: "boom", type: "server_error") }) { server in
            let provider = makeProvider(server.baseURL, retries: 2)
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")]))
            }.error)
            await close(provider)
            #expect(server.requests.count == 3)
            #expect(error.kind == .http)
            #expect(error.status == 500)
            #expect(error.provider == "local")
            #expect(error.message == "provider 'local' answered 500 Internal Server Error for POST /chat/completions: boom (after 3 attempts)")
        }
    }

    @Test func serverErrorThenSuccessRecovers() async throws {
        try await withServer({ request in
            request.index < 2 ? .text("bad gateway", status: 502) : .chatCompletion("third time")
        }) { server in
            let provider = makeProvider(server.baseURL, retries: 3)
            let result = try await call { () throws(ModelProviderError) in try provider.chat(ChatRequest(messages: [.user("x")])) }.get()
            await close(provider)
            #expect(result.text == "third time")
            #expect(server.requests.count == 3)
        }
    }

    @Test(arguments: [403, 400])
    func clientErrorsAreNotRetried(status: Int) async throws {
        try await withServer({ _ in .error(status: status, message: "temperature must be at most 2") }) { server in
            let provider = makeProvider(server.baseURL, model: "llava", retries: 3)
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")]))
            }.error)
            await close(provider)
            #expect(server.requests.count == 1)
            #expect(error.kind == .http)
            #expect(error.status == status)
            let phrase = status == 403 ? "403 Forbidden" : "400 Bad Request"
            #expect(error.message == "provider 'local' answered \(phrase) for POST /chat/completions: temperature must be at most 2")
        }
    }

    @Test func aMissingEndpointIsUnsupported() async throws {
        try await withServer({ _ in .text("404 page not found", status: 404) }) { server in
            let provider = makeProvider(server.baseURL, model: "whisper")
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.transcribe(TranscriptionRequest(wav: sampleWAV()))
            }.error)
            await close(provider)
            #expect(error.kind == .unsupported)
            #expect(error.status == 404)
            #expect(error.message == "provider 'local' answered 404 Not Found for POST /audio/transcriptions: 404 page not found (the server has no such endpoint)")
            #expect(server.requests.count == 1)
        }
    }

    @Test func slowServerTimesOut() async throws {
        try await withServer({ _ in TestResponse.chatCompletion("late").delayed(3) }) { server in
            let provider = makeProvider(server.baseURL, timeout: 0.3, retries: 1)
            let (outcome, elapsed) = await timedCall { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")]))
            }
            let error = try #require(outcome.error)
            await close(provider)
            #expect(error.kind == .timeout)
            #expect(error.message == "provider 'local' timed out after 0.3 s (POST /chat/completions, 2 attempts)")
            #expect(server.requests.count == 2)
            #expect(elapsed >= 0.55)
            #expect(elapsed < 2.9)  // both attempts cut at 0.3 s, not left to the server's 3 s
        }
    }

    @Test func refusedConnectionSaysSoInPlainWords() async throws {
        let port = try await OpenAITestServer.closedPort()
        let provider = makeProvider("http://127.0.0.1:\(port)/v1", retries: 1)
        let error = try #require(await call { () throws(ModelProviderError) in
            try provider.chat(ChatRequest(messages: [.user("x")]))
        }.error)
        await close(provider)
        #expect(error.kind == .unreachable)
        #expect(error.message == "cannot reach provider 'local' at http://127.0.0.1:\(port)/v1: connection refused")
        #expect(error.description == error.message)
    }

    @Test func malformedBodiesAreReportedAsSuch() async throws {
        try await withServer({ request in
            request.index == 0 ? .text("{\"choices\": [", contentType: "application/json") : .json(["object": "list"])
        }) { server in
            let provider = makeProvider(server.baseURL)
            for expected in ["the body is not JSON", "no choices[0].message"] {
                let error = try #require(await call { () throws(ModelProviderError) in
                    try provider.chat(ChatRequest(messages: [.user("x")]))
                }.error)
                #expect(error.kind == .malformedResponse)
                #expect(error.message.hasPrefix("provider 'local' answered POST /chat/completions with a body that is not the expected JSON (\(expected))"))
            }
            await close(provider)
            #expect(server.requests.count == 2)
        }
    }

    @Test func missingModelIsAConfigurationError() async throws {
        try await withServer { server in
            let provider = makeProvider(server.baseURL, model: nil)
            let error = try #require(await call { () throws(ModelProviderError) in
                try provider.chat(ChatRequest(messages: [.user("x")]))
            }.error)
            await close(provider)
            #expect(error.kind == .configuration)
            #expect(server.requests.isEmpty)
        }
    }
}
