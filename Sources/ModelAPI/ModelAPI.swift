import Foundation

// The vocabulary model stages speak, independent of any HTTP library: stages depend on this
// module only; `OpenAIProvider` implements `ModelProvider` over the OpenAI HTTP API.

/// A JSON value, for JSON schemas and parsed model answers.
public indirect enum JSONValue: Sendable, Equatable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses JSON text; nil when it is not JSON.
    public static func parse(_ text: String) -> JSONValue? {
        guard let data = text.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Compact JSON with sorted keys (stable: usable in hashes).
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var numberValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
}

public enum ChatRole: String, Sendable, Codable, Equatable {
    case system, user, assistant
}

/// One part of a chat message: text, or an image sent as a JPEG `image_url` data URI.
public enum ChatPart: Sendable, Equatable, Hashable {
    case text(String)
    case jpeg([UInt8])
}

public struct ChatMessage: Sendable, Equatable, Hashable {
    public var role: ChatRole
    public var parts: [ChatPart]
    public init(role: ChatRole, parts: [ChatPart]) {
        self.role = role
        self.parts = parts
    }
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, parts: [.text(text)]) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, parts: [.text(text)]) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: .assistant, parts: [.text(text)]) }
    public var hasImages: Bool { parts.contains { if case .jpeg = $0 { return true } else { return false } } }
}

/// What the answer must look like.
public enum ResponseFormat: Sendable, Equatable, Hashable {
    case text
    /// `{"type":"json_object"}`.
    case jsonObject
    /// `{"type":"json_schema","json_schema":{"name":…,"schema":…,"strict":true}}`; a provider falls back to
    /// `jsonObject` (with the schema put into the prompt) when the server rejects it, and remembers.
    case jsonSchema(name: String, schema: JSONValue)
}

public struct TokenUsage: Sendable, Equatable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int
    public init(promptTokens: Int = 0, completionTokens: Int = 0, totalTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }
    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens,
                   totalTokens: a.totalTokens + b.totalTokens)
    }
}

/// `POST /chat/completions`.
public struct ChatRequest: Sendable, Equatable, Hashable {
    /// Nil: the provider's `model`.
    public var model: String?
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var temperature: Double?
    public var responseFormat: ResponseFormat
    /// OpenAI's `frequency_penalty` (−2…2): positive values make a token less likely the more often it has
    /// appeared, which keeps small local models from repeating a phrase until `max_tokens`. Nil: not sent.
    public var frequencyPenalty: Double?
    public init(model: String? = nil, messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil,
                responseFormat: ResponseFormat = .text, frequencyPenalty: Double? = nil) {
        self.model = model
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.responseFormat = responseFormat
        self.frequencyPenalty = frequencyPenalty
    }
}

public struct ChatResult: Sendable, Equatable {
    /// The assistant message's content.
    public var text: String
    /// The model that answered (the response's `model`, else the one asked for).
    public var model: String
    public var usage: TokenUsage
    /// True when the answer came from the store's response cache (no request was sent).
    public var cached: Bool
    /// The format actually sent (after any fallback).
    public var formatUsed: ResponseFormat
    /// `choices[0].finish_reason` as the server gave it (`stop`, `length`, …); nil when it gave none.
    public var finishReason: String?
    public init(text: String, model: String, usage: TokenUsage, cached: Bool, formatUsed: ResponseFormat,
                finishReason: String? = nil) {
        self.text = text
        self.model = model
        self.usage = usage
        self.cached = cached
        self.formatUsed = formatUsed
        self.finishReason = finishReason
    }

    /// The answer ended because it reached `max_tokens`, not because the model finished it.
    public var wasCutAtMaxTokens: Bool { finishReason == "length" }
}

/// `POST /audio/transcriptions` with one WAV file (16-bit PCM).
public struct TranscriptionRequest: Sendable, Equatable {
    public var model: String?
    public var wav: [UInt8]
    public var language: String?
    public var prompt: String?
    public var temperature: Double?
    public init(model: String? = nil, wav: [UInt8], language: String? = nil, prompt: String? = nil, temperature: Double? = nil) {
        self.model = model
        self.wav = wav
        self.language = language
        self.prompt = prompt
        self.temperature = temperature
    }
}

public struct TranscribedSpan: Sendable, Equatable {
    /// Seconds from the start of the uploaded audio.
    public var start: Double
    public var end: Double
    public var text: String
    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
}

public struct TranscriptionResult: Sendable, Equatable {
    public var text: String
    /// From `verbose_json` where the server gives them; empty for plain `json`.
    public var segments: [TranscribedSpan]
    public var words: [TranscribedSpan]
    public var language: String?
    public var model: String
    public var cached: Bool
    public init(text: String, segments: [TranscribedSpan], words: [TranscribedSpan], language: String?, model: String, cached: Bool) {
        self.text = text
        self.segments = segments
        self.words = words
        self.language = language
        self.model = model
        self.cached = cached
    }
}

public enum EmbeddingInput: Sendable, Equatable, Hashable {
    case text(String)
    /// An image, sent in the request's `imageFormat`.
    case jpeg([UInt8])
}

/// How images go to `POST /embeddings`: servers that embed images disagree on the shape, and a
/// text-only embedder answers most shapes with an error but embeds a data-URI string as text.
/// Texts are always plain strings in `input`.
public enum ImageEmbeddingFormat: String, Sendable, Codable, CaseIterable {
    /// `{"input": ["data:image/jpeg;base64,…"], "modality": "image"}` (`modality` as Infinity takes it;
    /// servers that take data-URI strings as images without it ignore it).
    case dataURI = "data_uri"
    /// vLLM's multimodal embeddings: `{"messages": [{"role": "user", "content": [{"type": "image_url",
    /// "image_url": {"url": data-URI}}]}]}`, one request per image.
    case messages
    /// Jina/Cohere-style input objects: `{"input": [{"image": data-URI}]}`.
    case inputObject = "input_object"
    /// llama.cpp's server started with a projector (`--mmproj`): `{"input": [{"prompt_string": MARKER + "\n",
    /// "multimodal_data": [raw base64]}]}`, MARKER being the `media_marker` of its `GET /props` (the newline:
    /// llama.cpp's server aborts on a prompt that ends with the image).
    case llamaCpp = "llama_cpp"
}

/// `POST /embeddings`.
public struct EmbeddingRequest: Sendable, Equatable {
    public var model: String?
    public var inputs: [EmbeddingInput]
    /// How `.jpeg` inputs are sent; no effect on texts.
    public var imageFormat: ImageEmbeddingFormat
    public init(model: String? = nil, inputs: [EmbeddingInput], imageFormat: ImageEmbeddingFormat = .dataURI) {
        self.model = model
        self.inputs = inputs
        self.imageFormat = imageFormat
    }
}

public struct EmbeddingResult: Sendable, Equatable {
    /// One vector per input, in input order.
    public var vectors: [[Float]]
    public var model: String
    public var usage: TokenUsage
    public var cached: Bool
    public init(vectors: [[Float]], model: String, usage: TokenUsage, cached: Bool) {
        self.vectors = vectors
        self.model = model
        self.usage = usage
        self.cached = cached
    }
}

/// Why a model call failed, in words an operator can act on.
public struct ModelProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// Connection refused, DNS failure, TLS failure… ("cannot reach provider 'local' at http://…: connection refused").
        case unreachable
        case timeout
        /// A 4xx other than 429, or a 5xx/429 still failing after the retries.
        case http
        /// The body was not the JSON the endpoint promises.
        case malformedResponse
        /// The server rejects something the request needs (images, an endpoint).
        case unsupported
        /// No API key in the environment variable the config names, no model, …
        case configuration
        /// The prompt does not fit the model's context window (`promptTokens`/`contextTokens` when the server says).
        case contextOverflow
        /// The server does not serve the model the request names.
        case unknownModel
        /// The server refused the request as invalid (a validation error): sending it again cannot help.
        case invalidRequest
    }
    public var kind: Kind
    public var provider: String
    public var status: Int?
    public var message: String
    /// For `.contextOverflow`: the prompt's length and the context's size, in tokens, where the server gave them.
    public var promptTokens: Int?
    public var contextTokens: Int?
    public init(kind: Kind, provider: String, status: Int? = nil, message: String, promptTokens: Int? = nil,
                contextTokens: Int? = nil) {
        self.kind = kind
        self.provider = provider
        self.status = status
        self.message = message
        self.promptTokens = promptTokens
        self.contextTokens = contextTokens
    }
    public var description: String { message }
}

/// A model server. Calls block the calling thread: call them from Dispatch queues or threads, never
/// from Swift concurrency's cooperative pool (on Linux that pool runs on Dispatch's shared threads,
/// so code waiting on the pool — an in-process test server, say — must not be starved by blockers). Every provider caps its in-flight requests at its
/// `max_concurrency`, across all callers that share it.
public protocol ModelProvider: AnyObject, Sendable {
    /// The name under `providers:`.
    var name: String { get }
    var baseURL: String { get }
    /// The provider's `model`, used when a request names none.
    var defaultModel: String? { get }
    func chat(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult
    /// Runs the requests concurrently (bounded by max_concurrency); results in request order.
    func chatAll(_ requests: [ChatRequest]) -> [Result<ChatResult, ModelProviderError>]
    func transcribe(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult
    func embed(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult
    /// What the server says identifies the model behind `model` (Ollama's digest, llama.cpp's model-file
    /// metadata, vLLM's checkpoint root), looked up once per provider and model; nil when the server says
    /// nothing that identifies it, or cannot be asked. Blocks like the calls.
    func modelIdentity(_ model: String) -> String?
    /// From now on, keep cached answers of `model` apart from those of other identities (the model behind
    /// the name changed: an answer cached for the old one must not be served for the new one).
    func keepCachedAnswersApart(model: String, identity: String)
    /// Closes connections and stops the provider's threads; blocks until done; safe to call twice.
    /// Not from one of the provider's own threads.
    func shutdown()
}

extension ModelProvider {
    /// Nothing to close (an in-process provider).
    public func shutdown() {}
    /// No identity beyond the name (an in-process provider).
    public func modelIdentity(_ model: String) -> String? { nil }
    public func keepCachedAnswersApart(model: String, identity: String) {}
}

/// One model call that went over the wire, for the store's accounting.
public struct ModelCallRecord: Sendable, Equatable {
    public var provider: String
    public var endpoint: String
    public var model: String
    public var requestHash: String
    public var usage: TokenUsage
    public var elapsedSeconds: Double
    public init(provider: String, endpoint: String, model: String, requestHash: String, usage: TokenUsage, elapsedSeconds: Double) {
        self.provider = provider
        self.endpoint = endpoint
        self.model = model
        self.requestHash = requestHash
        self.usage = usage
        self.elapsedSeconds = elapsedSeconds
    }
}

/// Where providers keep responses by request hash (the store implements it), so a rerun or another
/// stage asking the same thing sends nothing. Implementations are thread-safe.
public protocol ModelResponseCache: Sendable {
    /// The raw response body stored for this request hash, if any.
    func cachedResponse(requestHash: String) -> [UInt8]?
    /// Keeps a successful response and its accounting row.
    func store(response: [UInt8], for call: ModelCallRecord)
}
