import Foundation
import ModelAPI
import Stages
import Store

/// `vidpipe ask`: a question about one video. Picks the fused shot records that matter (full-text
/// hits and, where the video has embeddings, vector hits, fused by reciprocal rank), attaches their
/// keyframes when the model takes images, and returns the answer with the times it cites.
public enum VideoAsk {
    public struct Result: Codable, Sendable {
        public var video_id: Int64
        public var path: String
        public var question: String
        public var answer: String
        public var citations: [VideoAnswer.Citation]
        public var model: String
        /// Indexes of the shots whose records were given to the model.
        public var shots: [Int]
        public var images_sent: Int
        /// The conversation this question and answer were kept in; nil when not kept (a read-only store).
        public var conversation_id: Int64?

        enum CodingKeys: String, CodingKey {
            case video_id, path, question, answer, citations, model, shots, images_sent, conversation_id
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(video_id, forKey: .video_id)
            try c.encode(path, forKey: .path)
            try c.encode(question, forKey: .question)
            try c.encode(answer, forKey: .answer)
            try c.encode(citations, forKey: .citations)
            try c.encode(model, forKey: .model)
            try c.encode(shots, forKey: .shots)
            try c.encode(images_sent, forKey: .images_sent)
            try c.encode(conversation_id, forKey: .conversation_id)  // null when not kept
        }
    }

    /// The `embed.frames` stages whose vectors can rank shots, and the client for each of their providers.
    public struct FrameVectors: Sendable {
        public var sources: [FrameSearch.Source]
        public var client: @Sendable (String) throws -> any ModelProvider
        public init(sources: [FrameSearch.Source], client: @escaping @Sendable (String) throws -> any ModelProvider) {
            self.sources = sources
            self.client = client
        }
    }

    public struct Options: Sendable {
        public var model: String?
        public var embeddingModel: String?
        /// Frame vectors to rank shots with; nil: none.
        public var frames: FrameVectors?
        public var maxShots = 12
        public var maxImages = 4
        public var contextTokens = 6000
        public var maxTokens = 700
        public init(model: String? = nil, embeddingModel: String? = nil) {
            self.model = model
            self.embeddingModel = embeddingModel
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `history`: the conversation's earlier turns (`AskConversation.fitted`), empty for a first question.
    public static func ask(_ question: String, video: VideoRow, store: VidpipeStore, provider: any ModelProvider,
                           options: Options, history: ConversationHistory = ConversationHistory()) throws -> Result {
        guard let stage = try store.stages(storing: .timeline, videoID: video.id).first else {
            throw Failure(description: "no fused timeline for \(video.path) in \(store.path); add a timeline.fuse stage "
                          + "(from shots and the captions, OCR and speech stages) to the pipeline and run it")
        }
        let records = try store.records(FusedShot.self, videoID: video.id, stage: stage)
        guard !records.isEmpty else { throw Failure(description: "the timeline of \(video.path) has no shots") }
        let ranked = try rank(question, records: records, video: video, store: store, provider: provider, options: options)
        let total = records.reduce(0) { $0 + ReasonLLM.estimatedTokens($1) }
        let chosen: [FusedShot]
        if total <= options.contextTokens {
            chosen = records
        } else {
            let picks = Set((ranked.isEmpty ? records.map(\.index) : ranked).prefix(options.maxShots))
            chosen = records.filter { picks.contains($0.index) }
        }
        var images: [(time: Double, jpeg: [UInt8])] = []
        let byIndex = Dictionary(records.map { ($0.index, $0) }) { a, _ in a }
        for index in (ranked.isEmpty ? chosen.map(\.index) : ranked) where images.count < options.maxImages {
            guard let keyframe = byIndex[index]?.keyframe, chosen.contains(where: { $0.index == index }),
                  let jpeg = try store.frameJPEG(videoID: video.id, near: keyframe, tolerance: 0.05) else { continue }
            images.append((keyframe, jpeg))
        }
        let title = URL(fileURLWithPath: video.path).deletingPathExtension().lastPathComponent
        let duration = video.durationS ?? records.map(\.end).max() ?? 0
        // Keyframes go with the question when the model takes images; when it says it does not, ask again without.
        func ask(_ images: [(time: Double, jpeg: [UInt8])]) throws -> VideoAnswer {
            try ReasonLLM.answer(question, records: chosen, images: images, history: history, provider: provider,
                                 model: options.model, title: title, duration: duration, contextTokens: options.contextTokens,
                                 maxTokens: options.maxTokens)
        }
        var sent = images
        let answer: VideoAnswer
        do {
            answer = try ask(sent)
        } catch let error as ModelProviderError where error.kind == .unsupported && !sent.isEmpty {
            sent = []
            answer = try ask(sent)
        }
        return Result(video_id: video.id, path: video.path, question: question, answer: answer.answer,
                      citations: answer.citations, model: answer.model, shots: chosen.map(\.index), images_sent: sent.count,
                      conversation_id: nil)
    }

    /// Shot indexes by relevance to the question, best first (only shots that some hit touches).
    static func rank(_ question: String, records: [FusedShot], video: VideoRow, store: VidpipeStore,
                     provider: any ModelProvider, options: Options) throws -> [Int] {
        var score: [Int: Double] = [:]
        func credit(_ hits: [SearchHit]) {
            for (rank, hit) in hits.enumerated() {
                for record in records where hit.start_s < record.end && max(hit.end_s, hit.start_s) >= record.start {
                    score[record.index, default: 0] += 1 / Double(10 + rank)
                }
            }
        }
        if let query = keywordQuery(question) {
            credit((try? store.search(query, videoID: video.id, limit: 50)) ?? [])
        }
        let model = try options.embeddingModel ?? store.embeddingModels(videoID: video.id).first
        if let model, let vector = try? provider.embed(EmbeddingRequest(model: model, inputs: [.text(question)])).vectors.first {
            credit(try store.semanticSearch(vector: vector, model: model, videoID: video.id, frames: false, limit: 30))
        }
        // The shot holding a frame whose vector matches the question (embed.frames, same model's text tower) gets credit.
        if let frames = options.frames, !frames.sources.isEmpty {
            credit(FrameSearch.search(question, sources: frames.sources, store: store, videoID: video.id, limit: 30,
                                      client: frames.client).hits)
        }
        return score.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }

    /// The question's content words as an FTS5 OR query ("who" "anchor" …); nil when none are left.
    static func keywordQuery(_ question: String) -> String? {
        let stop: Set<String> = ["the", "and", "for", "are", "was", "were", "what", "when", "where", "who", "whom", "which",
                                 "why", "how", "does", "did", "this", "that", "these", "those", "there", "their", "with",
                                 "from", "into", "about", "video", "show", "shown", "shows", "any", "some", "have", "has",
                                 "is", "in", "on", "of", "to", "a", "an", "it", "be", "do", "can", "you", "say", "said"]
        let words = question.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
            .filter { $0.count >= 3 && !stop.contains($0) }
        guard !words.isEmpty else { return nil }
        return Array(Set(words)).sorted().map { "\"\($0)\"" }.joined(separator: " OR ")
    }
}

/// `vidpipe search --semantic`, and the merge of full-text and vector hits.
public enum HybridSearch {
    /// Embeds the query with `model` and ranks stored vectors of that model by cosine similarity.
    public static func semantic(_ query: String, store: VidpipeStore, provider: any ModelProvider, model: String,
                                kind: TextKind? = nil, limit: Int) throws -> [SearchHit] {
        let result = try provider.embed(EmbeddingRequest(model: model, inputs: [.text(query)]))
        guard let vector = result.vectors.first else { return [] }
        // Frame vectors (embed.frames) are ranked by `FrameSearch`, with the frame stage's own model.
        let hits = try store.semanticSearch(vector: vector, model: model, frames: false, limit: kind == nil ? limit : limit * 5)
        return Array(hits.filter { kind == nil || $0.kind == kind }.prefix(limit))
    }

    /// Reciprocal-rank fusion of two rankings; a moment found by both (same video, kind and start) ranks higher.
    public static func merge(_ fullText: [SearchHit], _ semantic: [SearchHit], limit: Int) -> [SearchHit] {
        merge([fullText, semantic], limit: limit)
    }

    /// Reciprocal-rank fusion of any number of rankings (full text, text vectors, frame vectors).
    public static func merge(_ lists: [[SearchHit]], limit: Int) -> [SearchHit] {
        var entries: [String: (hit: SearchHit, score: Double)] = [:]
        for list in lists {
            for (rank, hit) in list.enumerated() {
                let key = "\(hit.video_id)|\(hit.kind)|\(String(format: "%.3f", hit.start_s))"
                let add = 1 / Double(60 + rank)
                if let existing = entries[key] {
                    entries[key] = (existing.hit, existing.score + add)
                } else {
                    entries[key] = (hit, add)
                }
            }
        }
        return entries.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.hit.start_s < $1.hit.start_s }
            .prefix(limit).map { var h = $0.hit; h.score = $0.score; return h }
    }
}
