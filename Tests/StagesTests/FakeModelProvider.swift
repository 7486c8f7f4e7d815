import Foundation
import ModelAPI

/// An in-process ModelProvider for stage tests: answers from a script and records every request.
/// (The HTTP client is tested against a real server in OpenAIProviderTests and PipelineTests.)
final class FakeModelProvider: ModelProvider, @unchecked Sendable {
    let name = "fake"
    let baseURL = "http://fake.invalid/v1"
    let defaultModel: String? = "fake-model"
    private let lock = NSLock()
    private(set) var chats: [ChatRequest] = []
    private(set) var transcriptions: [TranscriptionRequest] = []
    private(set) var embeddings: [EmbeddingRequest] = []
    var answer: @Sendable (ChatRequest, Int) throws(ModelProviderError) -> String
    /// The finish_reason of the n-th chat answer (1-based).
    var finishReason: @Sendable (Int) -> String? = { _ in "stop" }
    var embedder: @Sendable (EmbeddingInput) -> [Float] = { input in
        if case .text(let t) = input { return [Float(t.count), 1] }
        return [0, 1]
    }

    init(answer: @escaping @Sendable (ChatRequest, Int) throws(ModelProviderError) -> String = { _, _ in "ok" }) {
        self.answer = answer
    }

    func chat(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult {
        let n = lock.withLock { chats.append(request); return chats.count }
        let text = try answer(request, n)
        return ChatResult(text: text, model: request.model ?? "fake-model", usage: TokenUsage(promptTokens: 10, completionTokens: 5,
                                                                                        totalTokens: 15),
                          cached: false, formatUsed: request.responseFormat, finishReason: finishReason(n))
    }

    func chatAll(_ requests: [ChatRequest]) -> [Result<ChatResult, ModelProviderError>] {
        requests.map { r in Result { () throws(ModelProviderError) in try chat(r) } }
    }

    func transcribe(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult {
        lock.withLock { transcriptions.append(request) }
        return TranscriptionResult(text: "hello world", segments: [TranscribedSpan(start: 0.1, end: 0.9, text: " hello world")],
                                   words: [TranscribedSpan(start: 0.1, end: 0.4, text: "hello"),
                                           TranscribedSpan(start: 0.5, end: 0.9, text: "world")],
                                   language: "en", model: request.model ?? "fake-model", cached: false)
    }

    func embed(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult {
        lock.withLock { embeddings.append(request) }
        return EmbeddingResult(vectors: request.inputs.map(embedder), model: request.model ?? "fake-model", usage: TokenUsage(),
                               cached: false)
    }

    /// All text of a request's messages, joined.
    static func text(_ request: ChatRequest) -> String {
        request.messages.flatMap(\.parts).compactMap { if case .text(let t) = $0 { return t } else { return nil } }
            .joined(separator: "\n")
    }
}
