import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

/// What servers' model lists say identifies a model, and that it is asked once.
@Suite("Model identity from the server's model list")
struct ModelIdentityTests {
    /// Trimmed from what llama.cpp's server (xllamacpp 2026.10.11549, SmolLM2-135M) answered here.
    static func llamaCpp(size: Int) -> TestResponse {
        .json(["object": "list", "data": [[
            "id": "smollm2-135m", "object": "model", "created": Int(Date().timeIntervalSince1970), "owned_by": "llamacpp",
            "aliases": ["smollm2-135m"],
            "meta": ["vocab_type": 2, "n_vocab": 49152, "n_ctx": 4096, "n_ctx_train": 8192, "n_embd": 576,
                     "n_params": 134_515_008, "size": size, "ftype": "Q4_1"],
        ] as [String: Any]], "models": [["name": "-", "model": "-", "digest": ""]]])
    }

    @Test func llamaCppIdentityIsTheModelFilesMetadataAskedOnce() async throws {
        try await withServer({ _ in Self.llamaCpp(size: 96_576_768) }) { server in
            let provider = makeProvider(server.baseURL, model: "smollm2-135m")
            let first = await offPool { provider.modelIdentity("smollm2-135m") }
            let again = await offPool { provider.modelIdentity("smollm2-135m") }
            await close(provider)
            let identity = try #require(first)
            #expect(identity.hasPrefix("gguf:{"))
            #expect(identity.contains("\"n_params\":134515008") && identity.contains("\"size\":96576768"))
            #expect(!identity.contains("n_ctx\""))  // the running context is configuration, not identity
            #expect(again == first)
            #expect(server.requests.map(\.path) == ["/v1/models"])
            #expect(server.requests.first?.method == "GET")
        }
    }

    @Test func vLLMIdentityIsTheCheckpointRoot() async throws {
        try await withServer({ _ in
            .json(["object": "list", "data": [["id": "qwen-vl", "object": "model", "owned_by": "vllm", "created": 1,
                                               "root": "/models/Qwen2.5-VL-3B-Instruct-rev2", "parent": NSNull(),
                                               "max_model_len": 16384] as [String: Any]]])
        }) { server in
            let provider = makeProvider(server.baseURL, model: "qwen-vl")
            let identity = await offPool { provider.modelIdentity("qwen-vl") }
            await close(provider)
            #expect(identity == "root:/models/Qwen2.5-VL-3B-Instruct-rev2")
        }
    }

    /// Ollama's `/v1/models` names models without digests; its `/api/tags`, beside `/v1`, has them.
    @Test func ollamaIdentityIsTheDigestFromItsTags() async throws {
        try await withServer({ request in
            switch request.path {
            case "/v1/models":
                return .json(["object": "list", "data": [["id": "llama3.2:latest", "object": "model", "created": 1,
                                                          "owned_by": "library"]]])
            case "/api/tags":
                return .json(["models": [["name": "llama3.2:latest", "model": "llama3.2:latest",
                                          "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
                                          "size": 2_019_393_189]]])
            default:
                return .error(status: 404, message: "not found")
            }
        }) { server in
            let provider = makeProvider(server.baseURL, model: "llama3.2")
            let identity = await offPool { provider.modelIdentity("llama3.2") }
            await close(provider)
            #expect(identity == "digest:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72")
            #expect(server.requests.map(\.path) == ["/v1/models", "/api/tags"])
        }
    }

    @Test func aServerWithoutAModelListGivesNoIdentity() async throws {
        try await withServer({ _ in .text("404 page not found", status: 404) }) { server in
            let provider = makeProvider(server.baseURL, model: "m")
            let identity = await offPool { provider.modelIdentity("m") }
            await close(provider)
            #expect(identity == nil)
        }
    }
}
