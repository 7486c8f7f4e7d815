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
                let served = provider.modelIdentity(model)
                let recorded = served == nil ? (try? store?.latestModelIdentity(provider: providerName, model: model)) ?? nil : nil
                let current = served ?? recorded
                let baseline = (try? store?.baselineModelIdentity(provider: providerName, model: model)) ?? nil
                looked[key] = (current, served != nil, baseline ?? current)
                if served == nil, recorded != nil {
                    logger?.debug("model identity not served; using the recorded one",
                                  metadata: ["provider": "\(providerName)", "model": "\(model)"])
                }
                if let current, let baseline, current != baseline {
                    provider.keepCachedAnswersApart(model: model, identity: current)
                }
            }
            guard let found = looked[key], let current = found.current else { continue }
            resolved.append(Resolved(stage: stage.name, provider: providerName, model: model, identity: current, fresh: found.fresh))
            if current != found.baseline { folded[stage.name] = current }
        }
        return (graph.withModelIdentities(folded), resolved)
    }

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
