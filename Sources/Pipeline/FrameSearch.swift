import Foundation
import ModelAPI
import Stages
import Store

/// Text → moment in one space: a query embedded by the text tower of the model whose image tower made
/// an `embed.frames` stage's vectors, ranked against those frame vectors. Only the same provider and
/// model are used, and only vectors of the query's dimension are compared; anything else is skipped
/// with a note, never mixed.
public enum FrameSearch {
    /// An `embed.frames` stage of the pipeline: its provider and model.
    public struct Source: Sendable, Equatable {
        public var stage: String
        public var provider: String
        public var model: String
    }

    /// What a search found, and why sources were skipped (one line each).
    public struct Outcome: Sendable {
        public var hits: [SearchHit] = []
        public var notes: [String] = []
        /// True when at least one source had frame vectors and was searched.
        public var searched = false
    }

    /// The pipeline's `embed.frames` stages that name a provider (only `provider`'s, when given), with the
    /// stage's model or else the provider's.
    public static func sources(_ graph: PipelineGraph, provider preferred: String? = nil) -> [Source] {
        graph.stages.compactMap { stage -> Source? in
            guard stage.typeName == EmbedFrames.name, let provider = stage.provider,
                  preferred == nil || preferred == provider,
                  let model = stage.model ?? graph.config.providers[provider]?.model, !model.isEmpty else { return nil }
            return Source(stage: stage.name, provider: provider, model: model)
        }
    }

    /// Ranks the stored frame vectors of each source's model by similarity to `query` embedded with that
    /// source's provider and model. `client` gives the provider by name (a client per provider, made by the caller).
    public static func search(_ query: String, sources: [Source], store: VidpipeStore, videoID: Int64? = nil, limit: Int,
                              client: (String) throws -> any ModelProvider) -> Outcome {
        var outcome = Outcome()
        let stored = (try? store.frameEmbeddingModels(videoID: videoID)) ?? []
        var seen: Set<String> = []
        for source in sources where seen.insert("\(source.provider)|\(source.model)").inserted {
            let dims = stored.filter { $0.model == source.model }.map(\.dim)
            guard !dims.isEmpty else {
                let others = Set(stored.map(\.model)).sorted()
                outcome.notes.append("no frame vectors of model '\(source.model)' (stage '\(source.stage)') in \(store.path)"
                                     + (others.isEmpty ? "" : " (frame vectors stored: \(others.joined(separator: ", ")))"))
                continue
            }
            let vector: [Float]
            do {
                let provider = try client(source.provider)
                let result = try provider.embed(EmbeddingRequest(model: source.model, inputs: [.text(query)]))
                guard let first = result.vectors.first, !first.isEmpty else {
                    outcome.notes.append("frame search skipped: provider '\(source.provider)' gave no vector for the query")
                    continue
                }
                vector = first
            } catch let error as ModelProviderError {
                outcome.notes.append("frame search skipped: \(error.message)")
                continue
            } catch {
                outcome.notes.append("frame search skipped: \(error)")
                continue
            }
            guard dims.contains(vector.count) else {
                outcome.notes.append("frame vectors of model '\(source.model)' skipped: they have "
                                     + dims.map(String.init).joined(separator: "/") + " dimensions, the query embeds to "
                                     + "\(vector.count) with provider '\(source.provider)' (not one space)")
                continue
            }
            outcome.searched = true
            outcome.hits += (try? store.semanticSearch(vector: vector, model: source.model, videoID: videoID, frames: true,
                                                       limit: limit)) ?? []
        }
        outcome.hits.sort { $0.score > $1.score }
        outcome.hits = Array(outcome.hits.prefix(limit))
        return outcome
    }
}
