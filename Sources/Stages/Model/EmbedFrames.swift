import Foundation
import ModelAPI

/// `embed.frames`: vectors for frames from a server whose embedding model takes images (a CLIP or
/// SigLIP model on vLLM, llama.cpp with a projector, Jina-style APIs), so that text queries embedded
/// with the same model find pictures. The wire shape for images is the `format` parameter; `auto` finds
/// it. Before any frame is sent, the server is checked once per run (`FrameEmbeddingCheck`): a server that
/// fails on images, or returns vectors that do not depend on the image, is refused and nothing is stored.
public struct EmbedFrames: StageType {
    public static let name = "embed.frames"
    public static let summary = "Embed frames with an image-and-text embedding model (CLIP-style) on the server, after checking it embeds images"
    public static let version = 2
    public static let inputKinds: [DataKind] = [.frames]
    public static let outputKind: DataKind = .embeddings
    public static let media: MediaNeed = .none

    /// How images go to `/embeddings`: `auto` or one `ImageEmbeddingFormat`.
    public enum Format: String, Sendable, Codable, CaseIterable {
        case auto
        case dataURI = "data_uri"
        case messages
        case inputObject = "input_object"
        case llamaCpp = "llama_cpp"

        var wire: ImageEmbeddingFormat? { ImageEmbeddingFormat(rawValue: rawValue) }
    }

    public struct Parameters: StageParameters {
        public var model = ""
        public var batchSize = 8
        public var format = Format.auto

        public init() {}

        public func validate() throws(ParameterError) {
            try ModelParameterCheck.common(maxTokens: 1, temperature: 0, model: model)
            try check(\.batchSize, 1...256)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("model", \.model, "string", "an embedding model with an image and a text tower (e.g. a CLIP or SigLIP model); empty: the provider's `model`"),
            ParameterField("batch_size", \.batchSize, "integer", "frames sent per /embeddings request (`messages` sends one per request)"),
            ParameterField("format", \.format, "auto | messages | input_object | llama_cpp | data_uri",
                           "how images go to /embeddings: vLLM's `messages` with an image_url part, `input` objects `{\"image\": data-URI}` (Jina/Cohere style), llama.cpp's `{\"prompt_string\", \"multimodal_data\"}`, or data-URI strings in `input`; `auto` tries them in that order on the first use and keeps the first that passes the image check"),
        ]
    }

    public static func needsProvider(_ parameters: Parameters) -> Bool { true }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        let provider = try context.requireProvider(name)
        guard case .frames(let frames)? = context.input(.frames) else {
            throw ParameterError(key: "from", "embed.frames needs the frames of an upstream stage",
                                 hint: "add from: with a frames.keyframes or frames.sample stage")
        }
        let model = parameters.model.isEmpty ? nil : parameters.model
        let batchSize = parameters.batchSize, format = parameters.format.wire
        let stage = context.stageName.isEmpty ? name : context.stageName
        return .compute {
            guard !frames.isEmpty else { return .embeddings([]) }
            let checked = try FrameEmbeddingCheck.verified(provider, model: model, format: format, stage: stage)
            let vectors = try EmbeddingBatches.embed(
                frames.map { EmbeddingBatches.Moment(kind: .frame, start: $0.time, end: $0.time, text: "", input: .jpeg($0.jpeg)) },
                provider: provider, model: model, batchSize: checked.format == .messages ? 1 : batchSize, width: 2,
                unit: "frames", imageFormat: checked.format, failureLabel: "\(stage): the server refused frames")
            return .embeddings(try EmbeddingBatches.consistent(vectors, dimension: checked.dimension, stage: stage))
        }
    }
}
