import Foundation
import ModelAPI
import Stages
import Store

/// Makes the client for one `providers:` entry (the runner's default makes OpenAI-compatible HTTP clients).
public typealias ProviderFactory = @Sendable (ProviderConfig, (any ModelResponseCache)?) throws -> any ModelProvider

/// The model servers of one run, by name: one client each, shared by every stage and video that
/// names it (so its `max_concurrency` holds across all of them), with the store as response cache.
public final class ModelProviders: Sendable {
    private let byName: [String: any ModelProvider]

    public static let none = ModelProviders(byName: [:])

    init(byName: [String: any ModelProvider]) {
        self.byName = byName
    }

    /// Clients for the providers the graph's stages name (an unused entry costs nothing).
    public convenience init(graph: PipelineGraph, store: VidpipeStore?, factory: ProviderFactory) throws {
        let used = Set(graph.stages.compactMap(\.provider))
        var clients: [String: any ModelProvider] = [:]
        let cache = store.map { StoreResponseCache(store: $0) }
        for name in used.sorted() {
            guard let config = graph.config.providers[name] else { continue }
            clients[name] = FailFastProvider(try factory(config, cache))
        }
        self.init(byName: clients)
    }

    public func provider(named name: String?) -> (any ModelProvider)? {
        name.flatMap { byName[$0] }
    }

    public var isEmpty: Bool { byName.isEmpty }

    /// Closes the clients' connections (the end of a run).
    public func shutdown() {
        for provider in byName.values { provider.shutdown() }
    }
}

/// The store as the providers' response cache and call ledger.
public struct StoreResponseCache: ModelResponseCache {
    public let store: VidpipeStore
    public init(store: VidpipeStore) { self.store = store }

    public func cachedResponse(requestHash: String) -> [UInt8]? {
        try? store.cachedModelResponse(requestHash: requestHash)
    }

    public func store(response: [UInt8], for call: ModelCallRecord) {
        // A ledger row that cannot be written costs a repeated request next time, nothing more.
        try? store.recordModelCall(requestHash: call.requestHash, provider: call.provider, endpoint: call.endpoint,
                                   model: call.model, promptTokens: call.usage.promptTokens,
                                   completionTokens: call.usage.completionTokens, totalTokens: call.usage.totalTokens,
                                   elapsedSeconds: call.elapsedSeconds, response: response)
    }
}

/// Once a server has proved unreachable (after its retries), later calls fail at once with the
/// same error for `quietPeriod` seconds, instead of every frame of every video waiting out its own
/// retries: a run against a server that is down ends quickly, with every embedded stage done.
// @unchecked Sendable: `down` is read and written only under `lock`; the rest is immutable.
final class FailFastProvider: ModelProvider, @unchecked Sendable {
    private let inner: any ModelProvider
    private let quietPeriod: Double
    private let lock = NSLock()
    private var down: (error: ModelProviderError, until: Date)?

    init(_ inner: any ModelProvider, quietPeriod: Double = 60) {
        self.inner = inner
        self.quietPeriod = quietPeriod
    }

    var name: String { inner.name }
    var baseURL: String { inner.baseURL }

    func shutdown() { inner.shutdown() }
    var defaultModel: String? { inner.defaultModel }

    private func check() throws(ModelProviderError) {
        let known = lock.withLock { down }
        if let known, known.until > Date() { throw known.error }
    }

    private func observe<T>(_ result: Result<T, ModelProviderError>) -> Result<T, ModelProviderError> {
        if case .failure(let error) = result, error.kind == .unreachable {
            lock.withLock { down = (error, Date().addingTimeInterval(quietPeriod)) }
        }
        return result
    }

    func chat(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult {
        try check()
        return try observe(Result { () throws(ModelProviderError) in try inner.chat(request) }).get()
    }

    func chatAll(_ requests: [ChatRequest]) -> [Result<ChatResult, ModelProviderError>] {
        do { try check() } catch { return requests.map { _ in .failure(error) } }
        let results = inner.chatAll(requests)
        for r in results { _ = observe(r) }
        return results
    }

    func transcribe(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult {
        try check()
        return try observe(Result { () throws(ModelProviderError) in try inner.transcribe(request) }).get()
    }

    func embed(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult {
        try check()
        return try observe(Result { () throws(ModelProviderError) in try inner.embed(request) }).get()
    }

    func modelIdentity(_ model: String) -> String? { inner.modelIdentity(model) }
    func keepCachedAnswersApart(model: String, identity: String) { inner.keepCachedAnswersApart(model: model, identity: identity) }
}

/// A client outside a run whose models' identities are looked up just before its first call, not when it
/// is made: a command that ends up asking nothing (no matching moment) sends nothing at all.
// @unchecked Sendable: `checked` is read and written only under `lock`; the rest is immutable.
final class IdentityCheckedProvider: ModelProvider, @unchecked Sendable {
    private let inner: any ModelProvider
    private let models: [String?]
    private let store: VidpipeStore
    private let lock = NSLock()
    private var checked = false

    init(_ inner: any ModelProvider, models: [String?], store: VidpipeStore) {
        self.inner = inner
        self.models = models
        self.store = store
    }

    var name: String { inner.name }
    var baseURL: String { inner.baseURL }
    var defaultModel: String? { inner.defaultModel }
    func shutdown() { inner.shutdown() }
    func modelIdentity(_ model: String) -> String? { inner.modelIdentity(model) }
    func keepCachedAnswersApart(model: String, identity: String) { inner.keepCachedAnswersApart(model: model, identity: identity) }

    /// The first call (of any thread) looks the identities up; the others wait for it.
    private func prepare() {
        lock.withLock {
            guard !checked else { return }
            checked = true
            ModelIdentities.separateCachedAnswers(inner, name: inner.name, models: models, store: store)
        }
    }

    func chat(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult {
        prepare()
        return try inner.chat(request)
    }

    func chatAll(_ requests: [ChatRequest]) -> [Result<ChatResult, ModelProviderError>] {
        prepare()
        return inner.chatAll(requests)
    }

    func transcribe(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult {
        prepare()
        return try inner.transcribe(request)
    }

    func embed(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult {
        prepare()
        return try inner.embed(request)
    }
}

/// Which provider and model a command outside a run (`vidpipe ask`, `search --semantic`) uses,
/// read from the pipeline that made the store.
public enum ModelChoice {
    /// `preferred` (--provider) if given; else the provider of the first stage of `types`, with that
    /// stage's `model`; else the only provider defined. Nil when nothing fits.
    public static func choose(_ graph: PipelineGraph, types: [any StageType.Type], preferred: String?) -> (provider: String, model: String?)? {
        if let preferred {
            guard let config = graph.config.providers[preferred] else { return nil }
            let stage = graph.stages.first { s in types.contains { $0.name == s.typeName } && s.provider == preferred }
            return (preferred, stage?.model ?? config.model)
        }
        for type in types {
            if let stage = graph.stages.first(where: { $0.typeName == type.name && $0.provider != nil }), let name = stage.provider {
                return (name, stage.model ?? graph.config.providers[name]?.model)
            }
        }
        if graph.config.providers.count == 1, let (name, config) = graph.config.providers.first {
            return (name, config.model)
        }
        return nil
    }

    /// One client for the named provider (outside a run), with the store as its cache. `models`: the models it
    /// will be asked with (nil: the provider's default); with a store, their cached answers are kept apart when
    /// the model served now is not the one the store's results came from (`ModelIdentities`), looked up just
    /// before the client's first call (one request per model).
    public static func client(_ graph: PipelineGraph, name: String, store: VidpipeStore?, factory: ProviderFactory,
                              models: [String?] = []) throws -> any ModelProvider {
        guard let config = graph.config.providers[name] else {
            throw ModelProviderError(kind: .configuration, provider: name,
                                     message: "provider '\(name)' is not defined in \(graph.config.displayName)")
        }
        let client = try factory(config, store.map { StoreResponseCache(store: $0) })
        guard let store, !models.isEmpty else { return client }
        return IdentityCheckedProvider(client, models: models, store: store)
    }
}
