import Foundation
import ModelAPI

/// `embed.text`: vectors for the moments' texts (transcript segments, on-screen text, frame
/// captions, fused shot records, reasoning items) from the server's `/embeddings`, for
/// `vidpipe search --semantic` and for picking the records `vidpipe ask` shows the model.
public struct EmbedText: StageType {
    public static let name = "embed.text"
    public static let summary = "Embed transcript, on-screen text, captions, timeline records or reasoning (POST /embeddings) for semantic search"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.transcript, .ocrText, .captions, .timeline, .reasoning]
    public static let outputKind: DataKind = .embeddings
    public static let media: MediaNeed = .none

    public struct Parameters: StageParameters {
        public var model = ""
        public var batchSize = 32
        public var maxChars = 2000

        public init() {}

        public func validate() throws(ParameterError) {
            try ModelParameterCheck.common(maxTokens: 1, temperature: 0, model: model)
            try check(\.batchSize, 1...2048)
            try check(\.maxChars, 16...100_000)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("model", \.model, "string",
                           "embedding model on the server (e.g. nomic-embed-text); empty: the provider's `model`. "
                              + "`vidpipe search --semantic` embeds the query with the same model"),
            ParameterField("batch_size", \.batchSize, "integer", "texts sent per /embeddings request"),
            ParameterField("max_chars", \.maxChars, "integer", "longer texts are cut to this many characters before embedding"),
        ]
    }

    public static func needsProvider(_ parameters: Parameters) -> Bool { true }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    /// The texts of the upstream outputs, one per moment.
    static func moments(_ outputs: [StageOutput]) -> [(kind: TextKind, start: Double, end: Double, text: String)] {
        var out: [(kind: TextKind, start: Double, end: Double, text: String)] = []
        for output in outputs {
            switch output {
            case .transcript(let segments):
                out += segments.map { (.transcript, $0.start, $0.end, $0.text) }
            case .ocrText(let texts):
                var last: String?
                for t in texts where !t.text.isEmpty && t.text != last {
                    out.append((.ocr, t.time, t.time, t.text))
                    last = t.text
                }
            case .captions(let captions):
                out += captions.filter { $0.reusedFrom == nil }.map { (.caption, $0.time, $0.time, $0.text) }
            case .timeline(let shots):
                out += shots.map { (.timeline, $0.start, $0.end, VideoRecordText.render($0)) }
            case .reasoning(let items):
                out += items.map { (.reasoning, $0.start ?? 0, $0.end ?? $0.start ?? 0, $0.text) }
            default:
                break
            }
        }
        return out.filter { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        let provider = try context.requireProvider(name)
        let items = moments(context.upstream.keys.sorted().compactMap { context.upstream[$0] })
        let model = parameters.model.isEmpty ? nil : parameters.model
        let batchSize = parameters.batchSize, maxChars = parameters.maxChars
        return .compute {
            .embeddings(try EmbeddingBatches.embed(
                items.map { EmbeddingBatches.Moment(kind: $0.kind, start: $0.start, end: $0.end, text: $0.text,
                                                    input: .text(String($0.text.prefix(maxChars)))) },
                provider: provider, model: model, batchSize: batchSize, width: 4, unit: "texts"))
        }
    }
}

/// Moments to vectors through `/embeddings`: in batches, a few in flight, vectors matched to inputs in order.
enum EmbeddingBatches {
    struct Moment: Sendable {
        var kind: TextKind
        var start: Double
        var end: Double
        /// What is stored with the vector (the whole text; empty for a frame).
        var text: String
        /// What is sent.
        var input: EmbeddingInput
    }

    /// `failureLabel`: when set, a refused batch fails as "LABEL at 1.000–3.000 s (format F): what the server said".
    static func embed(_ moments: [Moment], provider: any ModelProvider, model: String?, batchSize: Int, width: Int,
                      unit: String, imageFormat: ImageEmbeddingFormat = .dataURI, failureLabel: String? = nil) throws -> [Embedding] {
        let batches = stride(from: 0, to: moments.count, by: batchSize).map {
            Array(moments[$0..<min(moments.count, $0 + batchSize)])
        }
        let results = parallelMap(batches, width: width) { batch in
            try provider.embed(EmbeddingRequest(model: model, inputs: batch.map(\.input), imageFormat: imageFormat))
        }
        var vectors: [Embedding] = []
        for (batch, result) in zip(batches, results) {
            let answer: EmbeddingResult
            do {
                answer = try result.get()
            } catch let error as ModelProviderError where failureLabel != nil {
                let from = batch.first?.start ?? 0, to = batch.last?.end ?? 0
                let times = from == to ? String(format: "%.3f s", from) : String(format: "%.3f–%.3f s", from, to)
                throw StageModelError("\(failureLabel!) at \(times) (format \(imageFormat.rawValue)): \(error.message)")
            }
            guard answer.vectors.count == batch.count else {
                throw StageModelError("the server returned \(answer.vectors.count) vectors for \(batch.count) \(unit)")
            }
            for (moment, vector) in zip(batch, answer.vectors) {
                vectors.append(Embedding(refKind: moment.kind, start: moment.start, end: moment.end, text: moment.text,
                                         vector: vector, model: answer.model))
            }
        }
        return vectors
    }

    /// The vectors of one stage result all have `dimension` numbers, all finite, and come from one model:
    /// anything else fails the stage (nothing is stored) instead of mixing spaces in the store.
    static func consistent(_ vectors: [Embedding], dimension: Int, stage: String) throws -> [Embedding] {
        if let odd = vectors.first(where: { $0.vector.count != dimension }) {
            throw StageModelError("\(stage): the server returned a \(odd.vector.count)-dimensional vector at "
                                  + String(format: "%.3f s", odd.start) + " where its check gave \(dimension) dimensions; "
                                  + "nothing stored (is another model answering behind the same name?)")
        }
        if let odd = vectors.first(where: { !$0.vector.allSatisfy(\.isFinite) }) {
            throw StageModelError("\(stage): the server returned a vector with NaN or infinite values at "
                                  + String(format: "%.3f s", odd.start) + "; nothing stored")
        }
        let models = Set(vectors.map(\.model))
        if models.count > 1 {
            throw StageModelError("\(stage): the server answered with several models (\(models.sorted().joined(separator: ", "))) "
                                  + "in one stage; nothing stored (name one model with `model:`)")
        }
        return vectors
    }
}
