import Foundation
import ModelAPI

/// `embed.frames`: vectors for frames (JPEG data URIs to `/embeddings`), for servers whose
/// embedding model takes images (e.g. a CLIP model on vLLM); text queries embedded with the same
/// model then find pictures.
public struct EmbedFrames: StageType {
    public static let name = "embed.frames"
    public static let summary = "Embed frames (JPEG data URIs to POST /embeddings) where the server's model takes images"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.frames]
    public static let outputKind: DataKind = .embeddings
    public static let media: MediaNeed = .none

    public struct Parameters: StageParameters {
        public var model = ""
        public var batchSize = 8

        public init() {}

        public func validate() throws(ParameterError) {
            try ModelParameterCheck.common(maxTokens: 1, temperature: 0, model: model)
            try check(\.batchSize, 1...256)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("model", \.model, "string", "an image-capable embedding model (e.g. a CLIP model); empty: the provider's `model`"),
            ParameterField("batch_size", \.batchSize, "integer", "frames sent per /embeddings request"),
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
        let batchSize = parameters.batchSize
        return .compute {
            .embeddings(try EmbeddingBatches.embed(
                frames.map { EmbeddingBatches.Moment(kind: .frame, start: $0.time, end: $0.time, text: "", input: .jpeg($0.jpeg)) },
                provider: provider, model: model, batchSize: batchSize, width: 2, unit: "frames"))
        }
    }
}
