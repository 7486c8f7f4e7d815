import Foundation
import Logging
import ModelAPI
import Workers

/// A `ModelProvider` over an OpenAI-compatible HTTP server (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI).
///
/// - Calls block their thread (the `ModelProvider` contract): the HTTP exchange runs on the provider's own
///   event-loop thread and the caller waits for its future. Nothing runs on Swift concurrency's pool or on
///   Dispatch's global queues, so blocked callers there cannot starve the work they wait for. Still, call
///   from Dispatch queues or threads: a blocked cooperative-pool thread is one fewer for everyone else.
/// - At most `maxConcurrency` requests are in flight at once across every caller; more wait, first come
///   first served. A cache hit sends nothing and takes no slot.
/// - Connection errors, timeouts, 429 and 5xx are retried `retries` times with full-jitter exponential
///   backoff; `Retry-After` on 429/503 is honoured up to `maxRetryAfter` (60 s by default).
/// - The provider owns an HTTP client and one event-loop thread: call `shutdown()` when done. A provider
///   dropped without it shuts them down in the background from `deinit`.
/// - The API key goes only into the `Authorization` header: never into errors, logs, hashes or records.
public final class OpenAIProvider: ModelProvider {
    public let settings: OpenAIProviderSettings
    public var name: String { settings.name }
    public var baseURL: String { settings.baseURL }
    public var defaultModel: String? { settings.model }

    private let cache: (any ModelResponseCache)?
    let transport: HTTPTransport
    let memory = ProviderMemory()
    private let logger: Logger
    /// Why every call fails (bad settings, missing key); checked before anything is sent.
    private let configurationProblem: String?

    /// - Parameters:
    ///   - environment: where `settings.apiKeyEnv` is looked up (read once, here).
    ///   - logger: gets one debug line per attempt (endpoint, model, status, elapsed, attempt).
    public init(settings: OpenAIProviderSettings, cache: (any ModelResponseCache)? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "vidpipe.openai")) {
        self.settings = settings
        self.cache = cache
        self.logger = logger
        var apiKey: String?
        var problem = settings.validationProblem()
        if let variable = settings.apiKeyEnv, !variable.isEmpty {
            if let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                apiKey = value
            } else if problem == nil {
                problem = "provider '\(settings.name)': environment variable \(variable) is not set (api_key_env)"
            }
        }
        configurationProblem = problem
        transport = HTTPTransport(settings: settings, apiKey: apiKey, logger: logger)
    }

    deinit {
        transport.shutdownInBackground()
    }

    /// Closes the connections and stops the event-loop thread; calls after it fail. Blocks until done;
    /// safe to call more than once. Do not call it from inside a call in flight.
    public func shutdown() {
        transport.shutdown()
    }

    // MARK: ModelProvider

    public func chat(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult {
        try chatBlocking(request)
    }

    /// Up to `maxConcurrency` threads (each on a serial Dispatch queue of its own; the caller waits) take
    /// the requests in order; the shared limiter still bounds what is in flight when other callers use the
    /// provider at the same time. They wait for the server, so they take no CPU budget.
    public func chatAll(_ requests: [ChatRequest]) -> [Result<ChatResult, ModelProviderError>] {
        concurrentMap(requests, width: settings.maxConcurrency, label: "vidpipe.openai.\(name)") { [self] request in
            Result { () throws(ModelProviderError) -> ChatResult in try chatBlocking(request) }
        }
    }

    public func transcribe(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult {
        try transcribeBlocking(request)
    }

    public func embed(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult {
        try embedBlocking(request)
    }

    // MARK: The calls

    /// The model to ask, after the configuration checks every call makes.
    private func model(for requested: String?) throws(ModelProviderError) -> String {
        if let configurationProblem { throw transport.error(.configuration, configurationProblem) }
        guard let model = requested ?? settings.model, !model.isEmpty else {
            throw transport.error(.configuration,
                                  "provider '\(name)': no model given (set model: on the provider or on the stage)")
        }
        // A model the server said it does not serve is not asked again this run (one refusal, not one per video).
        if let refusal = memory.unknownModel(model) {
            throw transport.error(.unknownModel, refusal.message + " (refused earlier in this run; not sent again)")
        }
        return model
    }

    /// The error for a non-2xx answer, remembering a model the server does not serve.
    private func failure(_ response: WireResponse, _ wire: WireRequest) -> ModelProviderError {
        let error = transport.httpError(response, wire)
        if error.kind == .unknownModel { memory.rememberUnknownModel(wire.model, error: error) }
        return error
    }

    func chatBlocking(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult {
        let model = try model(for: request.model)
        let asked = FormatStep(request.responseFormat)
        let askedBody = encodeJSON(ChatWire.body(request, model: model, step: asked))
        var hash = RequestHash(path: ChatWire.path, model: model, identity: memory.cacheSalt(model))
        hash.add(bytes: askedBody)
        let requestHash = hash.finalize()

        if let stored = cache?.cachedResponse(requestHash: requestHash) {
            let step = memory.firstStep(model: model, asked: asked)
            let answer = try parsedChat(stored, model: model, label: "POST \(ChatWire.path)")
            return ChatResult(text: answer.text, model: answer.model, usage: answer.usage, cached: true,
                              formatUsed: step.format(for: request.responseFormat), finishReason: answer.finishReason)
        }
        let hasImages = request.messages.contains { $0.hasImages }
        if hasImages, let refusal = memory.imageRefusal(model: model) {
            throw imagesRefused(model: model, serverSaid: refusal, earlier: true)
        }

        var step = memory.firstStep(model: model, asked: asked)
        while true {
            let body = step == asked ? askedBody : encodeJSON(ChatWire.body(request, model: model, step: step))
            let wire = WireRequest(path: ChatWire.path, model: model, contentType: "application/json", body: body)
            let response = try transport.send(wire)
            if response.isSuccess {
                let answer = try parsedChat(response.body, model: model, label: wire.label)
                if step < asked { memory.rememberFormatCeiling(step, model: model) }
                store(response, path: ChatWire.path, model: model, requestHash: requestHash, usage: answer.usage)
                return ChatResult(text: answer.text, model: answer.model, usage: answer.usage, cached: false,
                                  formatUsed: step.format(for: request.responseFormat), finishReason: answer.finishReason)
            }
            let said = serverMessage(response.body)
            let complaint = ServerComplaint.classify(status: response.status, body: response.body)
            // A request with images whose refusal (any status: llama.cpp without a projector answers 500) names
            // images/vision/multimodal/mmproj is refused for its images, remembered for the model.
            if hasImages, complaint == .images {
                memory.rememberImageRefusal(said, model: model)
                throw imagesRefused(model: model, serverSaid: said, earlier: false)
            }
            // One step down the ladder (json_schema → json_object → none) when the answer refuses the JSON mode:
            // any status whose body names response_format / json_schema (llama-cpp-python and older llama.cpp
            // answer 500), and any other 400/422 except a context overflow or an unknown model. The lower step
            // is remembered for the model only once it is answered 2xx, so an unrelated 400 costs two extra
            // requests but changes nothing for later calls.
            let refusesFormat: Bool
            switch complaint {
            case .responseFormat: refusesFormat = true
            case .contextOverflow, .unknownModel: refusesFormat = false
            case .images, .invalidRequest, .other: refusesFormat = response.status == 400 || response.status == 422
            }
            if refusesFormat, let lower = step.lower {
                logger.debug("response_format refused; sending one step down", metadata: [
                    "provider": "\(name)", "model": "\(model)", "refused": "\(step)", "next": "\(lower)",
                    "status": "\(response.status)",
                ])
                step = lower
                continue
            }
            throw failure(response, wire)
        }
    }

    func transcribeBlocking(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult {
        let model = try model(for: request.model)
        let requestHash = TranscriptionWire.hash(request, model: model, identity: memory.cacheSalt(model))
        let label = "POST \(TranscriptionWire.path)"
        if let stored = cache?.cachedResponse(requestHash: requestHash) {
            return try parsed(TranscriptionWire.parse(stored, askedModel: model, cached: true), label: label, body: stored)
        }
        var format: TranscriptionWire.Format = memory.usesPlainTranscription(model: model) ? .json : .verboseJSON
        while true {
            let boundary = "vidpipe-" + UUID().uuidString
            let wire = WireRequest(path: TranscriptionWire.path, model: model,
                                   contentType: "multipart/form-data; boundary=\(boundary)",
                                   body: TranscriptionWire.body(request, model: model, format: format, boundary: boundary))
            let response = try transport.send(wire)
            if response.isSuccess {
                let result = try parsed(TranscriptionWire.parse(response.body, askedModel: model, cached: false),
                                        label: label, body: response.body)
                if format == .json { memory.rememberPlainTranscription(model: model) }
                store(response, path: TranscriptionWire.path, model: model, requestHash: requestHash, usage: TokenUsage())
                return result
            }
            // A 400/422 to verbose_json is taken as refusing it (whisper.cpp-style servers); plain json is
            // tried once and, when answered, remembered for the model.
            if format == .verboseJSON, response.status == 400 || response.status == 422,
               ServerComplaint.classify(status: response.status, body: response.body) != .unknownModel {
                format = .json
                continue
            }
            throw failure(response, wire)
        }
    }

    /// One or more bodies (`EmbeddingWire.parts`: `messages` sends each image alone), each cached by its own
    /// hash; the vectors come back in input order.
    func embedBlocking(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult {
        let model = try model(for: request.model)
        let label = "POST \(EmbeddingWire.path)"
        if request.inputs.isEmpty {
            return EmbeddingResult(vectors: [], model: model, usage: TokenUsage(), cached: false)
        }
        var marker = EmbeddingWire.legacyMediaMarker
        if request.imageFormat == .llamaCpp, request.inputs.contains(where: { if case .jpeg = $0 { true } else { false } }) {
            marker = memory.mediaMarker(model: model) { [transport] in
                // A server without /props (or an older build) uses the legacy marker.
                let props = try? transport.send(EmbeddingWire.propsRequest(model: model))
                return props.flatMap { $0.isSuccess ? EmbeddingWire.mediaMarker(props: $0.body) : nil }
                    ?? EmbeddingWire.legacyMediaMarker
            }
        }
        var vectors = [[Float]](repeating: [], count: request.inputs.count)
        var total = TokenUsage()
        var answered: String?
        var allCached = true
        for part in EmbeddingWire.parts(request, model: model, mediaMarker: marker) {
            let body = encodeJSON(part.body)
            var hash = RequestHash(path: EmbeddingWire.path, model: model, identity: memory.cacheSalt(model))
            hash.add(bytes: body)
            let requestHash = hash.finalize()
            let result: EmbeddingResult
            if let stored = cache?.cachedResponse(requestHash: requestHash) {
                result = try parsed(EmbeddingWire.parse(stored, askedModel: model, inputCount: part.positions.count, cached: true),
                                    label: label, body: stored)
            } else {
                let wire = WireRequest(path: EmbeddingWire.path, model: model, contentType: "application/json", body: body)
                let response = try transport.send(wire)
                guard response.isSuccess else { throw failure(response, wire) }
                result = try parsed(EmbeddingWire.parse(response.body, askedModel: model, inputCount: part.positions.count,
                                                        cached: false), label: label, body: response.body)
                store(response, path: EmbeddingWire.path, model: model, requestHash: requestHash, usage: result.usage)
                allCached = false
            }
            for (position, vector) in zip(part.positions, result.vectors) { vectors[position] = vector }
            total = total + result.usage
            answered = answered ?? result.model
        }
        return EmbeddingResult(vectors: vectors, model: answered ?? model, usage: total, cached: allCached)
    }

    // MARK: Helpers

    private func store(_ response: WireResponse, path: String, model: String, requestHash: String, usage: TokenUsage) {
        cache?.store(response: response.body, for: ModelCallRecord(
            provider: name, endpoint: path, model: model, requestHash: requestHash, usage: usage,
            elapsedSeconds: response.elapsed))
    }

    private func parsedChat(_ body: [UInt8], model: String, label: String) throws(ModelProviderError)
        -> ChatWire.Answer {
        try parsed(ChatWire.parse(body, askedModel: model), label: label, body: body)
    }

    private func parsed<T>(_ result: Result<T, WireParseFailure>, label: String, body: [UInt8]) throws(ModelProviderError) -> T {
        switch result {
        case .success(let value): return value
        case .failure(let failure):
            var snippet = String(decoding: body.prefix(200), as: UTF8.self)
                .split(whereSeparator: \.isNewline).joined(separator: " ")
            if body.count > 200 { snippet += "…" }
            throw transport.error(.malformedResponse, "provider '\(name)' answered \(label) with a body that is not "
                                  + "the expected JSON (\(failure.reason)): \(snippet)")
        }
    }

    private func imagesRefused(model: String, serverSaid: String, earlier: Bool) -> ModelProviderError {
        let why = earlier ? "refused earlier: \(serverSaid)" : "server said: \(serverSaid)"
        return transport.error(.unsupported, "provider '\(name)' model '\(model)' does not accept images (\(why))")
    }

}
