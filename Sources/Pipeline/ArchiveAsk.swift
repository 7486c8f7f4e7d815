import Foundation
import ModelAPI
import Records
import Stages
import Store

/// `vidpipe ask --all`: a question about the whole archive. The best moments across every video
/// (full-text search of the question's words and, where the store has `embed.text` vectors, vector
/// search, fused by rank; hits close together in one video make one moment) go to the model with
/// their video paths and times; the answer's citations are checked against them.
public enum ArchiveAsk {
    public struct Options: Sendable {
        public var model: String?
        /// The vectors' model (nil: the store's most common one; no vectors: full-text only).
        public var embeddingModel: String?
        public var maxMoments = 12
        public var maxTokens = 700
        public init(model: String? = nil, embeddingModel: String? = nil) {
            self.model = model
            self.embeddingModel = embeddingModel
        }
    }

    /// A moment as `--json` lists it.
    public struct MomentRef: Codable, Sendable, Equatable {
        public var path: String
        public var video_id: Int64
        public var start_s: Double
        public var end_s: Double
    }

    /// `ask --all --json`.
    public struct Result: Codable, Sendable {
        public var question: String
        /// Nil when no moment matched (the model was not asked).
        public var answer: String?
        public var citations: [ArchiveCitation]
        /// Citations the model gave that named no moment sent (left out).
        public var dropped_citations: Int
        /// Nil when the model was not asked.
        public var model: String?
        /// The moments given to the model, best first.
        public var moments: [MomentRef]
        /// The conversation kept; nil when not kept (no answer, or a read-only store).
        public var conversation_id: Int64?

        public init(question: String, answer: String?, citations: [ArchiveCitation], dropped_citations: Int, model: String?,
                    moments: [ArchiveMoment], conversation_id: Int64?) {
            self.question = question
            self.answer = answer
            self.citations = citations
            self.dropped_citations = dropped_citations
            self.model = model
            self.moments = moments.map { MomentRef(path: $0.path, video_id: $0.videoID, start_s: $0.start, end_s: $0.end) }
            self.conversation_id = conversation_id
        }

        enum CodingKeys: String, CodingKey {
            case question, answer, citations, dropped_citations, model, moments, conversation_id
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(question, forKey: .question)
            try c.encode(answer, forKey: .answer)  // null, not absent
            try c.encode(citations, forKey: .citations)
            try c.encode(dropped_citations, forKey: .dropped_citations)
            try c.encode(model, forKey: .model)
            try c.encode(moments, forKey: .moments)
            try c.encode(conversation_id, forKey: .conversation_id)
        }
    }

    /// The moments that match `question`, best first: empty when nothing does. `warning` receives a
    /// line when vector search was wanted but failed (full-text hits are used alone then).
    public static func moments(_ question: String, store: VidpipeStore, provider: any ModelProvider, options: Options,
                               warning: (String) -> Void = { _ in }) throws -> [ArchiveMoment] {
        let limit = options.maxMoments * 4
        var fullText: [SearchHit] = []
        if let query = VideoAsk.keywordQuery(question) {
            fullText = try store.search(query, limit: limit)
        }
        var vectors: [SearchHit] = []
        // Vectors only of a model the store holds (the pipeline's, else the most common one): no
        // embedding request for a store without them.
        let stored = try store.embeddingModels()
        if let model = options.embeddingModel.map({ stored.contains($0) ? $0 : nil }) ?? stored.first {
            do {
                vectors = try HybridSearch.semantic(question, store: store, provider: provider, model: model, limit: limit)
            } catch let error as ModelProviderError {
                warning("warning: full-text moments only: \(error.message)")
            }
        }
        return group(HybridSearch.merge(fullText, vectors, limit: limit), max: options.maxMoments)
    }

    /// Hits folded into moments in rank order: a hit within a second of a moment of the same video
    /// joins it (its range grows, its text is added once); at most `max` moments.
    static func group(_ hits: [SearchHit], max: Int) -> [ArchiveMoment] {
        var moments: [ArchiveMoment] = []
        for hit in hits {
            let start = hit.start_s, end = Swift.max(hit.start_s, hit.end_s)
            let line = Self.line(hit)
            if let i = moments.firstIndex(where: { $0.videoID == hit.video_id && start <= $0.end + 1 && end >= $0.start - 1 }) {
                moments[i].start = Swift.min(moments[i].start, start)
                moments[i].end = Swift.max(moments[i].end, end)
                if !moments[i].lines.contains(line) { moments[i].lines.append(line) }
            } else if moments.count < max {
                moments.append(ArchiveMoment(videoID: hit.video_id, path: hit.path, start: start, end: end, lines: [line]))
            }
        }
        return moments
    }

    /// One found text as the prompt gives it: what it is, when, and the text (clipped).
    static func line(_ hit: SearchHit) -> String {
        let label: String
        switch hit.kind {
        case .transcript: label = "speech"
        case .ocr: label = "on-screen text"
        case .caption: label = "picture"
        case .reasoning: label = "note about the video"
        case .timeline: label = "shot record"
        case .frame: label = "frame"
        case .subtitle: label = "translated subtitle"
        }
        var text = hit.text.replacingOccurrences(of: "\n", with: " / ").trimmingCharacters(in: .whitespaces)
        if text.isEmpty { text = "(found by its picture; no text)" }
        if text.count > 600 { text = String(text.prefix(600)) + " …" }
        let end = Swift.max(hit.start_s, hit.end_s)
        let time = end - hit.start_s < 0.05 ? String(format: "%.1f s", hit.start_s) : String(format: "%.1f–%.1f s", hit.start_s, end)
        return "\(label) (\(time)): \(text)"
    }

    /// Asks the model over `moments` (never empty: with no moment, do not ask).
    public static func answer(_ question: String, moments: [ArchiveMoment], history: ConversationHistory,
                              provider: any ModelProvider, options: Options) throws -> ArchiveAnswer {
        precondition(!moments.isEmpty, "ask --all asks the model only with moments")
        return try ReasonLLM.answerAcrossArchive(question, moments: moments, history: history, provider: provider,
                                                 model: options.model, maxTokens: options.maxTokens)
    }
}
