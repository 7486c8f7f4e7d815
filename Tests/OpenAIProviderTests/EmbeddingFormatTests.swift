import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
import Testing

/// The image shapes of `POST /embeddings` as they go over the wire, one per `ImageEmbeddingFormat`,
/// against the scripted server; texts stay plain strings in `input` whatever the format.
@Suite("embeddings: image wire formats")
struct EmbeddingFormatTests {
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x01, 0xFF, 0xD9]
    static var dataURI: String { "data:image/jpeg;base64," + Data(jpeg).base64EncodedString() }
    static var base64: String { Data(jpeg).base64EncodedString() }

    /// One vector per `input` item ([position, 1]) or, for `messages`, one vector ([9, 1]).
    static let answer: OpenAITestServer.Handler = { request in
        if request.path.hasPrefix("/props") { return .json(["media_marker": "<__media_r4nd0m__>"]) }
        if request.jsonObject?["messages"] != nil { return .embeddings([[9, 1]], model: "clip") }
        let count = (request.jsonObject?["input"] as? [Any])?.count ?? 0
        return .embeddings((0..<count).map { [Double($0), 1] }, model: "clip")
    }

    func embed(_ format: ImageEmbeddingFormat, _ inputs: [EmbeddingInput], handler: @escaping OpenAITestServer.Handler = answer)
        async throws -> (EmbeddingResult, [RecordedRequest]) {
        try await withServer(handler) { server in
            let provider = makeProvider(server.baseURL, model: "clip")
            let result = await call { () throws(ModelProviderError) in
                try provider.embed(EmbeddingRequest(inputs: inputs, imageFormat: format))
            }
            await close(provider)
            return (try result.get(), server.requests)
        }
    }

    @Test("data_uri: data-URI strings in input, with modality image when every input is an image")
    func dataURI() async throws {
        let (result, requests) = try await embed(.dataURI, [.jpeg(Self.jpeg), .jpeg(Self.jpeg)])
        #expect(result.vectors == [[0, 1], [1, 1]])
        let body = try #require(requests.first?.jsonObject)
        #expect(body["input"] as? [String] == [Self.dataURI, Self.dataURI])
        #expect(body["modality"] as? String == "image")
        #expect(body["model"] as? String == "clip")
        // A text-only request is the plain OpenAI body, unchanged.
        let (_, texts) = try await embed(.dataURI, [.text("a red car")])
        #expect(texts.first?.bodyText == #"{"input":["a red car"],"model":"clip"}"#)
    }

    @Test("input_object: {\"image\": data-URI} objects beside plain text strings")
    func inputObject() async throws {
        let (result, requests) = try await embed(.inputObject, [.text("a cat"), .jpeg(Self.jpeg)])
        #expect(result.vectors == [[0, 1], [1, 1]])
        #expect(requests.count == 1)
        let input = try #require(requests.first?.jsonObject?["input"] as? [Any])
        #expect(input.first as? String == "a cat")
        #expect((input.last as? [String: String]) == ["image": Self.dataURI])
    }

    @Test("messages: one request per image with an image_url part (vLLM), texts together in input; vectors in input order")
    func messages() async throws {
        let (result, requests) = try await embed(.messages, [.jpeg(Self.jpeg), .text("a cat"), .jpeg(Self.jpeg)])
        #expect(result.vectors == [[9, 1], [0, 1], [9, 1]])
        #expect(result.model == "clip")
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.path == "/v1/embeddings" })
        #expect(requests.first?.jsonObject?["input"] as? [String] == ["a cat"])
        let image = try #require(requests.last?.jsonObject)
        #expect(image["input"] == nil)
        let messages = try #require(image["messages"] as? [[String: Any]])
        #expect(messages.count == 1 && messages[0]["role"] as? String == "user")
        let part = try #require((messages[0]["content"] as? [[String: Any]])?.first)
        #expect(part["type"] as? String == "image_url")
        #expect((part["image_url"] as? [String: String])?["url"] == Self.dataURI)
    }

    @Test("llama_cpp: the media marker from GET /props, raw base64 in multimodal_data; asked once per model")
    func llamaCpp() async throws {
        try await withServer(Self.answer) { server in
            let provider = makeProvider(server.baseURL, model: "clip")
            for _ in 0..<2 {
                _ = try await call { () throws(ModelProviderError) in
                    try provider.embed(EmbeddingRequest(inputs: [.jpeg(Self.jpeg), .text("a cat")], imageFormat: .llamaCpp))
                }.get()
            }
            await close(provider)
            let requests = server.requests
            #expect(requests.map(\.method) == ["GET", "POST", "POST"])
            #expect(requests.first?.path == "/props")   // at the server's root, not under /v1
            let input = try #require(requests.last?.jsonObject?["input"] as? [Any])
            let object = try #require(input.first as? [String: Any])
            // Text after the marker: llama.cpp's server aborts on a prompt that ends with the image.
            #expect(object["prompt_string"] as? String == "<__media_r4nd0m__>\n")
            #expect(object["multimodal_data"] as? [String] == [Self.base64])
            #expect(input.last as? String == "a cat")
        }
    }

    @Test("llama_cpp: a server without /props gets the legacy <__media__> marker")
    func llamaCppWithoutProps() async throws {
        let (_, requests) = try await embed(.llamaCpp, [.jpeg(Self.jpeg)]) { request in
            request.path.hasPrefix("/props") ? .error(status: 404, message: "File Not Found") : Self.answer(request)
        }
        let input = try #require(requests.last?.jsonObject?["input"] as? [[String: Any]])
        #expect(input.first?["prompt_string"] as? String == "<__media__>\n")
    }

    @Test("an image the server rejects is a clear error naming what it said")
    func rejected() async throws {
        await #expect {
            _ = try await embed(.messages, [.jpeg(Self.jpeg)]) { _ in .error(status: 400, message: "image size 9000x9000 exceeds the limit") }
        } throws: { error in
            (error as? ModelProviderError)?.message
                == "provider 'local' answered 400 Bad Request for POST /embeddings: image size 9000x9000 exceeds the limit"
        }
    }
}
