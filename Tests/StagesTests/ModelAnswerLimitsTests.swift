import Foundation
import ModelAPI
import Records
@testable import Stages
import Testing

/// What real models do that a scripted answer rarely does: stop at max_tokens, answer nothing, get a
/// prompt longer than their context.
@Suite("reason.llm: bounded schemas, answers cut at max_tokens, empty answers, context overflow")
struct ModelAnswerLimitsTests {
    static let record = (0..<40).map { (i: Int) -> FusedShot in
        let start = Double(i) * 5
        return FusedShot(index: i, start: start, end: start + 5, keyframe: nil, captions: [], ocr: [],
                         transcript: [TimedText(start: start, end: start + 4, text: String(repeating: "speech\(i) ", count: 30))])
    }

    func context(_ provider: FakeModelProvider, stage: String = "tags") -> StageContext {
        StageContext(videoPath: "/v/talk.mp4", info: info(duration: 200), upstream: ["timeline": .timeline(Self.record)],
                     provider: provider, stageName: stage)
    }

    @Test("every built-in schema is bounded, so grammar-constrained decoding ends on its own")
    func schemasAreBounded() throws {
        let provider = FakeModelProvider { _, _ in "{\"tags\": [\"talk\", \"Talk\", \"lecture\"]}" }
        var p = ReasonLLM.Parameters()
        p.task = .tags
        guard case .reasoning(let items) = try compute(ReasonLLM.work(parameters: p, context: context(provider))) else {
            Issue.record("not reasoning"); return
        }
        #expect(items.first?.text == "talk, lecture")
        guard case .jsonSchema(_, let schema)? = provider.chats.first?.responseFormat else {
            Issue.record("no schema sent"); return
        }
        #expect(schema["properties"]?["tags"]?["maxItems"] == .number(15))
        #expect(schema["properties"]?["tags"]?["items"]?["maxLength"] == .number(30))
        // Bounded by max_tokens too: 96 tokens hold 7 tags.
        #expect(ReasonLLM.tagsSchema(maxTokens: 96)["properties"]?["tags"]?["maxItems"] == .number(7))
        #expect(ReasonLLM.chaptersSchema(duration: 3600, maxTokens: 400)["properties"]?["chapters"]?["maxItems"] == .number(3))
        #expect(ReasonLLM.chaptersSchema(duration: 3600, maxTokens: 8000)["properties"]?["chapters"]?["maxItems"] == .number(60))
        #expect(ReasonLLM.answerSchema(maxTokens: 200)["properties"]?["answer"]?["maxLength"] == .number(224))
        for task in [ReasoningTask.chapters, .qa] {
            let asked = FakeModelProvider { _, _ in "{}" }
            var q = ReasonLLM.Parameters()
            q.task = task
            if task == .qa { q.questions = ["What is said?"] }
            _ = try? compute(ReasonLLM.work(parameters: q, context: context(asked)))
            guard case .jsonSchema(_, let sent)? = asked.chats.first?.responseFormat else {
                Issue.record("no schema sent for \(task)"); continue
            }
            let bounded = sent.jsonText.contains("\"maxItems\"") && sent.jsonText.contains("\"maxLength\"")
            #expect(bounded, "\(task): \(sent.jsonText)")
        }
    }

    @Test("an answer cut at max_tokens is reported as that, with the setting to raise; no repair request")
    func cutAtMaxTokens() throws {
        // What SmolLM2 did here with max_tokens 96: the same tag again and again until the limit cut the JSON.
        let provider = FakeModelProvider { _, _ in "{\"tags\": [\"speech_text_1\", \"speech_text_2\", \"speech_text_3\", \"speech_te" }
        provider.finishReason = { _ in "length" }
        var p = ReasonLLM.Parameters()
        p.task = .tags
        p.maxTokens = 96
        let error = try #require(throws: (any Error).self) { try compute(ReasonLLM.work(parameters: p, context: context(provider))) }
        let message = String(describing: error)
        #expect(message.hasPrefix("tags: the model's answer was cut at max_tokens (96) before it ended (finish_reason: length); "
                                  + "raise `max_tokens` in the stage's `with:` (e.g. to 192)"))
        #expect(!message.contains("not valid for the tags schema"))
        #expect(provider.chats.count == 1)
    }

    @Test("a complete answer is kept even when the server says length (the grammar closed the JSON)")
    func completeDespiteLength() throws {
        let provider = FakeModelProvider { _, _ in "{\"tags\": [\"talk\"]}" }
        provider.finishReason = { _ in "length" }
        var p = ReasonLLM.Parameters()
        p.task = .tags
        guard case .reasoning(let items) = try compute(ReasonLLM.work(parameters: p, context: context(provider))) else {
            Issue.record("not reasoning"); return
        }
        #expect(items.first?.text == "talk")
    }

    @Test("a summary cut at max_tokens or empty fails the stage; nothing is kept")
    func textAnswers() throws {
        let cut = FakeModelProvider { _, _ in "The talk opens with" }
        cut.finishReason = { _ in "length" }
        var p = ReasonLLM.Parameters()
        p.maxTokens = 20
        let cutError = try #require(throws: (any Error).self) { try compute(ReasonLLM.work(parameters: p, context: context(cut, stage: "summary"))) }
        #expect(String(describing: cutError).hasPrefix("summary: the model's answer was cut at max_tokens (20)"))

        let empty = FakeModelProvider { _, _ in "  \n" }
        let emptyError = try #require(throws: (any Error).self) {
            try compute(ReasonLLM.work(parameters: p, context: context(empty, stage: "summary")))
        }
        #expect(String(describing: emptyError) == "summary: model 'fake-model' answered with empty content (finish_reason: stop)")
    }

    @Test("a prompt over the model's context: the record is summarised in parts to fit, and the note says so")
    func contextOverflowIsFitted() throws {
        // A server with a 1,000-token context that counts 2 tokens per estimated token.
        let provider = FakeModelProvider { request, _ throws(ModelProviderError) in
            let counted = 2 * VideoRecordText.estimatedTokens(FakeModelProvider.text(request))
            if counted > 1000 {
                throw ModelProviderError(kind: .contextOverflow, provider: "fake", status: 400,
                                         message: "the prompt (\(counted) tokens) does not fit", promptTokens: counted, contextTokens: 1000)
            }
            return FakeModelProvider.text(request).contains("Summarise this part") ? "part summary" : "the whole talk"
        }
        var p = ReasonLLM.Parameters()
        p.maxTokens = 200
        guard case .computeWithNote(let body) = try ReasonLLM.work(parameters: p, context: context(provider, stage: "summary")) else {
            Issue.record("not a noted computation"); return
        }
        let (output, note) = try body()
        guard case .reasoning(let items) = output else { Issue.record("not reasoning"); return }
        #expect(items.first?.text == "the whole talk")
        let said = try #require(note)
        #expect(said.contains("did not fit the model's context of 1000 tokens: summarised in parts"))
        let parts = provider.chats.filter { FakeModelProvider.text($0).contains("Summarise this part") }
        #expect(parts.count >= 2)
    }

    @Test("a context too small for max_tokens is said plainly")
    func contextTooSmall() throws {
        let provider = FakeModelProvider { request, _ throws(ModelProviderError) in
            throw ModelProviderError(kind: .contextOverflow, provider: "fake", status: 400, message: "too long",
                                     promptTokens: 5000, contextTokens: 512)
        }
        var p = ReasonLLM.Parameters()
        p.maxTokens = 400
        let error = try #require(throws: (any Error).self) {
            try compute(ReasonLLM.work(parameters: p, context: context(provider, stage: "summary")))
        }
        #expect(String(describing: error).contains("has a context of 512 tokens, too small for max_tokens 400"))
    }
}

@Suite("reason.llm refuses reason.shot's task")
struct ReasonLLMTaskTests {
    @Test func taskShotBelongsToReasonShot() {
        var p = ReasonLLM.Parameters()
        p.task = .shot
        let error = #expect(throws: ParameterError.self) { try p.validate() }
        #expect(error?.key == "task")
        #expect(error?.message.contains("reason.shot") == true)
    }
}
