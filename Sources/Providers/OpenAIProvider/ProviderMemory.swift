import ModelAPI
import Synchronization

/// What a provider learned about its server's models, kept for the provider's lifetime: the richest
/// response format each model accepted, which models refuse images, which refuse `verbose_json`, which
/// models the server said it does not serve, the media marker of llama.cpp's `GET /props` per model.
final class ProviderMemory: Sendable {
    private struct Learned {
        var formatCeiling: [String: FormatStep] = [:]
        var imageRefusals: [String: String] = [:]
        var plainTranscription: Set<String> = []
        var unknownModels: [String: ModelProviderError] = [:]
        /// Looked-up identities (an inner nil: the server said nothing that identifies the model).
        var identities: [String: String?] = [:]
        /// Added to the request hashes of a model whose identity changed (see `keepCachedAnswersApart`).
        var cacheSalts: [String: String] = [:]
        var mediaMarkers: [String: String] = [:]
    }

    private let learned = Mutex(Learned())

    /// The step to send first for a request asking `asked` of `model`.
    func firstStep(model: String, asked: FormatStep) -> FormatStep {
        learned.withLock { min(asked, $0.formatCeiling[model] ?? .jsonSchema) }
    }

    func rememberFormatCeiling(_ step: FormatStep, model: String) {
        learned.withLock { $0.formatCeiling[model] = min(step, $0.formatCeiling[model] ?? .jsonSchema) }
    }

    func imageRefusal(model: String) -> String? { learned.withLock { $0.imageRefusals[model] } }
    func rememberImageRefusal(_ serverSaid: String, model: String) { learned.withLock { $0.imageRefusals[model] = serverSaid } }

    func usesPlainTranscription(model: String) -> Bool { learned.withLock { $0.plainTranscription.contains(model) } }
    func rememberPlainTranscription(model: String) { _ = learned.withLock { $0.plainTranscription.insert(model) } }

    func unknownModel(_ model: String) -> ModelProviderError? { learned.withLock { $0.unknownModels[model] } }
    func rememberUnknownModel(_ model: String, error: ModelProviderError) {
        learned.withLock { $0.unknownModels[model] = $0.unknownModels[model] ?? error }
    }

    /// The identity looked up before: `.some(nil)` when the lookup found none, nil when not looked up yet.
    func identity(_ model: String) -> String?? { learned.withLock { $0.identities[model] } }
    func rememberIdentity(_ identity: String?, model: String) { learned.withLock { $0.identities[model] = .some(identity) } }
    func cacheSalt(_ model: String) -> String? { learned.withLock { $0.cacheSalts[model] } }
    func setCacheSalt(_ salt: String, model: String) { learned.withLock { $0.cacheSalts[model] = salt } }
    /// The media marker for `model`, looked up (`lookUp`) on first use and kept.
    func mediaMarker(model: String, lookUp: () -> String) -> String {
        if let known = learned.withLock({ $0.mediaMarkers[model] }) { return known }
        let marker = lookUp()
        learned.withLock { $0.mediaMarkers[model] = marker }
        return marker
    }
}
