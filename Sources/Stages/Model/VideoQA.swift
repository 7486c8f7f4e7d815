import Foundation
import ModelAPI

/// One question about one video, answered from its fused records (and keyframes, when the model
/// takes images) with the times the answer rests on: what `vidpipe ask` runs. The same prompt,
/// schema check and repair as `reason.llm`'s qa task.
public enum VideoQA {
    public struct Answer: Sendable, Equatable, Codable {
        public struct Citation: Sendable, Equatable, Codable {
            public var start_s: Double
            public var end_s: Double
        }
        public var answer: String
        public var citations: [Citation]
        public var model: String
        /// Keyframes sent with the question (0 when the model does not take images).
        public var images_sent: Int
    }

    /// The rough token count of a record as prompts render it.
    public static func estimatedTokens(_ record: FusedShot) -> Int {
        VideoRecordText.estimatedTokens(VideoRecordText.render(record))
    }

    /// Asks; when the model rejects images, asks again without them (and says so in `images_sent`).
    public static func ask(_ question: String, records: [FusedShot], images: [(time: Double, jpeg: [UInt8])],
                           provider: any ModelProvider, model: String?, title: String, duration: Double,
                           contextTokens: Int = 6000, maxTokens: Int = 700) throws -> Answer {
        var parameters = ReasonLLM.Parameters()
        parameters.task = .qa
        parameters.questions = [question]
        parameters.model = model ?? ""
        parameters.contextTokens = contextTokens
        parameters.maxTokens = maxTokens
        var reasoner = Reasoner(provider: provider, parameters: parameters, title: title, duration: duration, stage: "ask",
                                images: images)
        let items: [ReasoningItem]
        do {
            items = try reasoner.run(records)
        } catch let error as ModelProviderError where error.kind == .unsupported && !images.isEmpty {
            reasoner.images = []
            items = try reasoner.run(records)
        }
        guard let item = items.first else { throw StageModelError("the model gave no answer") }
        let citations = (item.json.flatMap(JSONValue.parse)?["citations"]?.arrayValue ?? []).compactMap { c -> Answer.Citation? in
            guard let s = c["start_s"]?.numberValue, let e = c["end_s"]?.numberValue else { return nil }
            return Answer.Citation(start_s: s, end_s: e)
        }
        return Answer(answer: item.text, citations: citations, model: item.model, images_sent: reasoner.images.count)
    }
}
