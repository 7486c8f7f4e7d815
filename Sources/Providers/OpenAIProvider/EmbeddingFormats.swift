import Foundation
import ModelAPI

/// `POST /embeddings`: texts as strings in `input` (the body every OpenAI-compatible server takes), images
/// in the request's `ImageEmbeddingFormat`. A request may become several bodies (`messages` carries one
/// image each); each body knows which inputs it carries, so the vectors go back in input order.
enum EmbeddingWire {
    static let path = "/embeddings"
    /// llama.cpp's media marker before servers drew a random one at start; used when `GET /props` names none.
    static let legacyMediaMarker = "<__media__>"

    /// One body to send and the positions (in the request's inputs) of what it embeds, in its order.
    struct Part: Sendable {
        var body: JSONValue
        var positions: [Int]
    }

    /// The bodies for `request`. Texts only: one body `{model, input: [strings]}`, whatever the format.
    static func parts(_ request: EmbeddingRequest, model: String, mediaMarker: String = legacyMediaMarker) -> [Part] {
        let all = Array(request.inputs.indices)
        let images = all.filter { if case .jpeg = request.inputs[$0] { true } else { false } }
        guard !images.isEmpty else {
            return [Part(body: inputBody(model, request.inputs.map { input(.string, $0) }), positions: all)]
        }
        switch request.imageFormat {
        case .dataURI:
            var body = inputBody(model, request.inputs.map { input(.string, $0) })
            if images.count == all.count { body = adding(body, "modality", .string("image")) }
            return [Part(body: body, positions: all)]
        case .inputObject:
            return [Part(body: inputBody(model, request.inputs.map { input(.object, $0) }), positions: all)]
        case .llamaCpp:
            return [Part(body: inputBody(model, request.inputs.map { input(.llamaCpp(mediaMarker), $0) }), positions: all)]
        case .messages:
            let texts = all.filter { !images.contains($0) }
            var parts: [Part] = []
            if !texts.isEmpty {
                parts.append(Part(body: inputBody(model, texts.map { input(.string, request.inputs[$0]) }), positions: texts))
            }
            for position in images {
                guard case .jpeg(let bytes) = request.inputs[position] else { continue }
                let content: JSONValue = .array([.object([
                    "type": .string("image_url"),
                    "image_url": .object(["url": .string(jpegDataURI(bytes))]),
                ])])
                parts.append(Part(body: .object([
                    "model": .string(model),
                    "messages": .array([.object(["role": .string("user"), "content": content])]),
                    "encoding_format": .string("float"),
                ]), positions: [position]))
            }
            return parts
        }
    }

    private enum ImageShape {
        case string
        case object
        case llamaCpp(String)
    }

    private static func input(_ shape: ImageShape, _ input: EmbeddingInput) -> JSONValue {
        switch (input, shape) {
        case (.text(let text), _): return .string(text)
        case (.jpeg(let bytes), .string): return .string(jpegDataURI(bytes))
        case (.jpeg(let bytes), .object): return .object(["image": .string(jpegDataURI(bytes))])
        case (.jpeg(let bytes), .llamaCpp(let marker)):
            // llama.cpp decodes raw base64 only: a data URI fails with "Failed to load image or audio file".
            // The newline after the marker is needed: llama.cpp's server pools the text tokens decoded after the
            // image (which see it through attention), and a prompt that ends with the image leaves none, which
            // aborts the whole server (GGML_ASSERT(batch.size() > 0) in update_slots, xllamacpp 2026.10.11549).
            return .object(["prompt_string": .string(marker + "\n"),
                            "multimodal_data": .array([.string(Data(bytes).base64EncodedString())])])
        }
    }

    private static func inputBody(_ model: String, _ inputs: [JSONValue]) -> JSONValue {
        .object(["model": .string(model), "input": .array(inputs)])
    }

    private static func adding(_ body: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        guard var object = body.objectValue else { return body }
        object[key] = value
        return .object(object)
    }

    /// `GET /props` at the server's root, which llama.cpp's server answers with its `media_marker`
    /// (drawn at random when it starts, in recent builds).
    static func propsRequest(model: String) -> WireRequest {
        let query = model.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? model
        return WireRequest(path: "/props?model=\(query)", model: model, contentType: "application/json", body: [],
                           method: .GET, fromServerRoot: true)
    }

    /// The `media_marker` of a `GET /props` answer; nil when it names none.
    static func mediaMarker(props body: [UInt8]) -> String? {
        guard let marker = decodeJSON(body)?["media_marker"]?.stringValue, !marker.isEmpty else { return nil }
        return marker
    }

    /// Vectors sorted by `index` (input order); their count must match the inputs'. llama.cpp's
    /// `/embeddings` without pooling nests one vector per token: that is not one vector per input.
    static func parse(_ body: [UInt8], askedModel: String, inputCount: Int, cached: Bool) -> Result<EmbeddingResult, WireParseFailure> {
        guard let json = decodeJSON(body) else { return .failure(WireParseFailure("the body is not JSON")) }
        guard let data = json["data"]?.arrayValue else { return .failure(WireParseFailure("no data array")) }
        var indexed: [(Int, [Float])] = []
        for (position, item) in data.enumerated() {
            guard let numbers = item["embedding"]?.arrayValue else {
                return .failure(WireParseFailure("data[\(position)].embedding is not an array of numbers"))
            }
            var vector: [Float] = []
            vector.reserveCapacity(numbers.count)
            for number in numbers {
                guard let n = number.numberValue else {
                    return .failure(WireParseFailure("data[\(position)].embedding is not an array of numbers"))
                }
                vector.append(Float(n))
            }
            indexed.append((item["index"]?.numberValue.map { Int($0) } ?? position, vector))
        }
        guard indexed.count == inputCount else {
            return .failure(WireParseFailure("\(indexed.count) embeddings for \(inputCount) inputs"))
        }
        indexed.sort { $0.0 < $1.0 }
        return .success(EmbeddingResult(vectors: indexed.map(\.1), model: json["model"]?.stringValue ?? askedModel,
                                        usage: usage(json["usage"]), cached: cached))
    }
}
