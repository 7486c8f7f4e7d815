import Foundation
import ModelAPI

/// One answered question about a video: the answer, the times it rests on, the model that gave it.
public struct VideoAnswer: Sendable, Equatable {
    public struct Citation: Sendable, Equatable, Codable {
        public var start_s: Double
        public var end_s: Double
    }
    public var question: String
    public var answer: String
    /// Within [0, duration], start before end; ranges wholly outside the video are dropped.
    public var citations: [Citation]
    public var model: String
}

extension ReasonLLM {
    /// Asks one question about a video's fused records (and keyframes, where given): the qa task's
    /// prompt, schema check and repair, what `vidpipe ask` runs. Throws the provider's error as is
    /// (e.g. `.unsupported` when the model takes no images).
    public static func answer(_ question: String, records: [FusedShot], images: [(time: Double, jpeg: [UInt8])],
                              provider: any ModelProvider, model: String?, title: String, duration: Double,
                              contextTokens: Int, maxTokens: Int) throws -> VideoAnswer {
        let reasoner = askReasoner(question, images: images, provider: provider, model: model, title: title,
                                   duration: duration, contextTokens: contextTokens, maxTokens: maxTokens)
        let record = try reasoner.condensed(records.map { (start: $0.start, end: $0.end, text: VideoRecordText.render($0)) })
        let values = ["title": title, "duration": String(format: "%.1f", duration)]
        guard let answer = try reasoner.answers([question], record: record, values: values).first else {
            throw StageModelError("the model gave no answer")
        }
        return answer
    }

    /// The qa task's reasoner for one question of `vidpipe ask` (its `--max-tokens` named when an answer is cut).
    static func askReasoner(_ question: String, images: [(time: Double, jpeg: [UInt8])], provider: any ModelProvider,
                            model: String?, title: String, duration: Double, contextTokens: Int, maxTokens: Int) -> Reasoner {
        var parameters = Parameters()
        parameters.task = .qa
        parameters.questions = [question]
        parameters.model = model ?? ""
        parameters.contextTokens = contextTokens
        parameters.maxTokens = maxTokens
        var reasoner = Reasoner(provider: provider, parameters: parameters, title: title, duration: duration, stage: "ask",
                                images: images)
        reasoner.limitSetting = askLimitSetting
        return reasoner
    }

    /// The rough token count of a record as prompts render it.
    public static func estimatedTokens(_ record: FusedShot) -> Int {
        VideoRecordText.estimatedTokens(VideoRecordText.render(record))
    }
}

extension Reasoner {
    /// The questions asked over the record, a few at a time, answers in question order; citations
    /// clamped to the video.
    func answers(_ questions: [String], record: String, values: [String: String]) throws -> [VideoAnswer] {
        let template = parameters.prompt.isEmpty ? ReasonLLM.defaultPrompt(.qa) : parameters.prompt
        let outcomes = parallelMap(questions, width: Reasoner.requestsInFlight) { question in
            var v = values
            v["question"] = question
            return try ModelAnswer.structured(provider, request(record, PromptTemplate.render(template, v)),
                                              schema: ReasonLLM.answerSchema(maxTokens: parameters.maxTokens), schemaName: "answer", stage: stage,
                                              limitSetting: limitSetting)
        }
        return try zip(questions, outcomes).map { question, outcome in
            let (value, result) = try outcome.get()
            return VideoAnswer(question: question, answer: value["answer"]?.stringValue ?? "",
                               citations: ReasonLLM.citations(value, duration: duration), model: result.model)
        }
    }
}

extension ReasonLLM {
    /// The `citations` of an answer, clamped to the video; a range wholly outside it (a small model's "-1"
    /// for "none") is no citation.
    static func citations(_ value: JSONValue, duration: Double) -> [VideoAnswer.Citation] {
        (value["citations"]?.arrayValue ?? []).compactMap { c -> VideoAnswer.Citation? in
            guard let s = c["start_s"]?.numberValue, let e = c["end_s"]?.numberValue else { return nil }
            let low = min(s, e), high = max(s, e)
            guard high >= 0, low <= duration else { return nil }
            return VideoAnswer.Citation(start_s: max(0, low), end_s: min(duration, high))
        }
    }
}
