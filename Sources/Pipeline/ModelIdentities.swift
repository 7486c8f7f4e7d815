import Crypto
import Foundation
import Logging
import ModelAPI
import Store

/// The identity of the model behind each model stage (what the server says identifies it: a digest, the
/// model file's metadata, a checkpoint), looked up once per run and hashed into the stage's fingerprint,
/// so re-pulling `llama3.2` or swapping the GGUF behind an alias reruns that stage and everything
/// downstream of it; a server that exposes no identity leaves the fingerprints as they were.
public enum ModelIdentities {
    /// One model stage's identity as this run sees it.
    public struct Resolved: Sendable, Equatable {
        public var stage: String
        public var provider: String
        public var model: String
        public var identity: String
        /// False: the server could not be asked (or said nothing) and the identity recorded before was used.
        public var fresh: Bool
    }

    /// Looks up each model stage's identity (one request per provider and model, on the calling thread:
    /// call it from a thread, never from Swift concurrency's pool). Where the server gives none, the last
    /// identity recorded for that provider and model stands in, so a server that is down for a moment does
    /// not rerun anything. The first identity a store records for a model is its baseline (results made
    /// before identities were recorded are taken to come from it): at the baseline the fingerprints stay
    /// as they were, so upgrading reruns nothing; any other identity goes into the fingerprints of the
    /// stages using that model (and so their descendants'), and the provider keeps its cached answers
    /// for that identity apart. Returns the graph and what each model stage was given.
    public static func apply(to graph: PipelineGraph, providers: ModelProviders, store: VidpipeStore?,
                             logger: Logger? = nil) -> (graph: PipelineGraph, resolved: [Resolved]) {
        var resolved: [Resolved] = []
        var folded: [String: String] = [:]
        var looked: [String: (current: String?, fresh: Bool, baseline: String?)] = [:]
        for stage in graph.stages {
            guard let providerName = stage.provider, let provider = providers.provider(named: providerName) else { continue }
            guard let model = stage.model ?? graph.config.providers[providerName]?.model ?? provider.defaultModel,
                  !model.isEmpty else { continue }
            let key = "\(providerName)\u{0}\(model)"
            if looked[key] == nil {
                looked[key] = lookUp(provider, name: providerName, model: model, store: store)
                if looked[key]?.fresh == false, looked[key]?.current != nil {
                    logger?.debug("model identity not served; using the recorded one",
                                  metadata: ["provider": "\(providerName)", "model": "\(model)"])
                }
            }
            guard let found = looked[key], let current = found.current else { continue }
            resolved.append(Resolved(stage: stage.name, provider: providerName, model: model, identity: current, fresh: found.fresh))
            if current != found.baseline { folded[stage.name] = current }
        }
        return (graph.withModelIdentities(folded), resolved)
    }

    /// One model's identity: what the server serves now (`fresh`), else the last one the store recorded; and
    /// the store's baseline for it (the first recorded, else the current one). When they differ, `provider`
    /// keeps its cached answers for the current identity apart from the baseline's. Blocks on one request.
    static func lookUp(_ provider: any ModelProvider, name: String, model: String, store: VidpipeStore?)
        -> (current: String?, fresh: Bool, baseline: String?) {
        let served = provider.modelIdentity(model)
        let recorded = served == nil ? (try? store?.latestModelIdentity(provider: name, model: model)) ?? nil : nil
        let current = served ?? recorded
        let baseline = ((try? store?.baselineModelIdentity(provider: name, model: model)) ?? nil) ?? current
        if let current, let baseline, current != baseline {
            provider.keepCachedAnswersApart(model: model, identity: current)
        }
        return (current, served != nil, baseline)
    }

    /// Outside a run (`vidpipe ask`, `vidpipe search`, through `ModelChoice.client` before the client's first
    /// call): a client whose cache is the store answers from it only what the model served now would answer, as
    /// a run's providers do: each of `models` (nil: the provider's default) is looked up once and, when its
    /// identity is not the store's baseline, its cached answers are kept apart. Blocks on one request per model:
    /// call it from a thread, never Swift concurrency's pool.
    /// On a writable store the identity served is recorded (stage `outsideRun`), so the first one seen is the
    /// baseline for later runs and asks alike, and `vidpipe status` knows what is served now.
    public static func separateCachedAnswers(_ provider: any ModelProvider, name: String, models: [String?], store: VidpipeStore) {
        var seen: Set<String> = []
        var rows: [ModelIdentityRow] = []
        for model in models {
            guard let model = model ?? provider.defaultModel, !model.isEmpty, seen.insert(model).inserted else { continue }
            let found = lookUp(provider, name: name, model: model, store: store)
            if found.fresh, let current = found.current {
                rows.append(ModelIdentityRow(stage: outsideRun, fingerprint: hexString(SHA256.hash(data: Data(current.utf8))),
                                             provider: name, model: model, identity: current, fresh: true))
            }
        }
        if !store.isReadOnly { try? store.recordModelIdentities(rows) }
    }

    /// The `model_identities` stage name of identities seen by `vidpipe ask` and `vidpipe search`.
    public static let outsideRun = "(outside a run)"

    /// Records what this run's model stages were fingerprinted with (`model_identities`), for `vidpipe status`.
    public static func record(_ resolved: [Resolved], graph: PipelineGraph, store: VidpipeStore) throws {
        let rows = resolved.compactMap { r -> ModelIdentityRow? in
            guard let stage = graph.stage(named: r.stage) else { return nil }
            return ModelIdentityRow(stage: r.stage, fingerprint: stage.fingerprint, provider: r.provider, model: r.model,
                                    identity: r.identity, fresh: r.fresh)
        }
        try store.recordModelIdentities(rows)
    }
}

extension PipelineGraph {
    /// The graph with `identities` (stage name → model identity) hashed into those stages' fingerprints and,
    /// through them, their descendants'. Stages with no identity and none upstream keep their fingerprint.
    public func withModelIdentities(_ identities: [String: String]) -> PipelineGraph {
        guard !identities.isEmpty else { return self }
        var copy = self
        var changed: [String: String] = [:]
        for (i, stage) in copy.stages.enumerated() {
            let upstream = stage.from.sorted().filter { changed[$0] != nil }
            let identity = identities[stage.name]
            guard identity != nil || !upstream.isEmpty else { continue }
            var material = "base=\(stage.fingerprint)\nidentity=\(identity ?? "")\n"
            for name in upstream { material += "from=\(name):\(changed[name]!)\n" }
            let fingerprint = hexString(SHA256.hash(data: Data(material.utf8)))
            changed[stage.name] = fingerprint
            copy.stages[i].fingerprint = fingerprint
        }
        var hasher = SHA256()
        for s in copy.stages { hasher.update(data: Data("\(s.name)=\(s.fingerprint)\n".utf8)) }
        copy.pipelineHash = hexString(hasher.finalize())
        return copy
    }
}
