import Foundation
import ModelAPI
import Stages
import Store

/// Search by meaning outside a run (`vidpipe search`, `vidpipe serve`), read from the pipeline that made
/// the store: the query embedded by the model of its `embed.text` stage and ranked against the stored
/// text vectors, and embedded by the text tower of each `embed.frames` stage's model and ranked against
/// that model's frame vectors (`FrameSearch`); the rankings, and full-text hits when given, fused by
/// reciprocal rank. One client per provider, made once; every call blocks on the model server, so callers
/// run it off Swift concurrency's pool (the viewer on its Dispatch queue).
public final class MeaningSearch: Sendable {
    /// The `embed.text` model whose vectors the store holds, and its provider; nil when there is none.
    public let text: (provider: String, model: String)?
    /// Why the text vectors cannot be searched, when `text` is nil.
    public let textProblem: String?
    /// The pipeline's `embed.frames` stages (provider + model).
    public let frames: [FrameSearch.Source]
    /// Frame models of `frames` that have vectors in the store.
    public let frameModelsStored: [String]
    private let store: VidpipeStore
    private let clients: [String: any ModelProvider]
    private let unusable: [String: ModelProviderError]

    /// `preferred` (--provider) and `model` (--model) narrow the text side as `ModelChoice` does; `cache`
    /// is the store that caches the query embeddings (nil: none, e.g. the read-only viewer).
    public init(graph: PipelineGraph, store: VidpipeStore, preferred: String?, model: String?, cache: VidpipeStore?,
                factory: ProviderFactory) throws {
        self.store = store
        let stored = try store.embeddingModels()
        let choice = ModelChoice.choose(graph, types: [EmbedText.self], preferred: preferred)
        if let provider = choice?.provider, let chosen = model ?? choice?.model ?? stored.first, stored.contains(chosen) {
            text = (provider, chosen)
            textProblem = nil
        } else {
            text = nil
            textProblem = "no text embeddings to search in \(store.path)"
                + (stored.isEmpty ? "" : " for that model (stored: \(stored.joined(separator: ", ")))")
        }
        frames = FrameSearch.sources(graph, provider: preferred)
        let frameModels = Set(((try? store.frameEmbeddingModels()) ?? []).map(\.model))
        frameModelsStored = Set(frames.map(\.model)).intersection(frameModels).sorted()
        // A provider whose client cannot be made (a missing API key variable...) fails its side of each search
        // with that reason; the other side still runs.
        var clients: [String: any ModelProvider] = [:], unusable: [String: ModelProviderError] = [:]
        for name in Set([text?.provider].compactMap { $0 } + frames.map(\.provider)) {
            do {
                let models = (text?.provider == name ? [text?.model] : []) + frames.filter { $0.provider == name }.map(\.model)
                clients[name] = try ModelChoice.client(graph, name: name, store: cache, factory: factory, models: models)
            } catch let error as ModelProviderError {
                unusable[name] = error
            } catch {
                unusable[name] = ModelProviderError(kind: .configuration, provider: name, message: "\(error)")
            }
        }
        self.unusable = unusable
        self.clients = clients
    }

    /// True when some vectors (text or frames) can be searched.
    public var available: Bool { text != nil || !frameModelsStored.isEmpty }

    /// The models searched, for display: "nomic-embed-text, clip (frames)".
    public var label: String {
        ([text?.model].compactMap { $0 } + frameModelsStored.map { "\($0) (frames)" })
            .joined(separator: ", ")
    }

    /// What a search found.
    public struct Ranking: Sendable {
        /// Best first: the vector rankings fused (and with `fullText`, when given).
        public var hits: [SearchHit] = []
        /// True when at least one vector ranking ran.
        public var searched = false
        /// The model server's failure on the text side, if it failed.
        public var textFailure: String?
        /// Why frame vectors were skipped, one line each.
        public var notes: [String] = []
    }

    /// Ranks moments for `query`. `fullText`: full-text hits to fuse with the vector rankings (nil: by meaning
    /// only). `kind` restricts to one kind of text (frame vectors have none, so they are then left out).
    public func rank(_ query: String, fullText: [SearchHit]?, kind: TextKind? = nil, limit: Int) -> Ranking {
        var ranking = Ranking()
        var lists: [[SearchHit]] = []
        if let text {
            do {
                guard let client = clients[text.provider] else { throw unusable[text.provider] ?? Self.undefined(text.provider) }
                lists.append(try HybridSearch.semantic(query, store: store, provider: client, model: text.model, kind: kind,
                                                       limit: limit))
                ranking.searched = true
            } catch let error as ModelProviderError {
                ranking.textFailure = error.message
            } catch {
                ranking.textFailure = "\(error)"
            }
        }
        if kind == nil && !frames.isEmpty {
            let outcome = FrameSearch.search(query, sources: frames, store: store, limit: limit) { name in
                guard let client = clients[name] else { throw unusable[name] ?? Self.undefined(name) }
                return client
            }
            ranking.notes = outcome.notes
            if outcome.searched {
                lists.append(outcome.hits)
                ranking.searched = true
            }
        }
        let found = lists.filter { !$0.isEmpty }
        if let fullText {
            ranking.hits = found.isEmpty ? fullText : HybridSearch.merge([fullText] + found, limit: limit)
        } else {
            ranking.hits = found.count == 1 ? found[0] : HybridSearch.merge(found, limit: limit)
        }
        return ranking
    }

    static func undefined(_ name: String) -> ModelProviderError {
        ModelProviderError(kind: .configuration, provider: name, message: "provider '\(name)' is not defined")
    }

    /// Closes the clients.
    public func shutdown() {
        for client in clients.values { client.shutdown() }
    }
}
