import Foundation
import MediaIO
import ModelAPI
import Testing
@testable import Stages

/// An embedding server scripted per request (format included), recording what it was asked.
private final class ScriptedEmbedder: ModelProvider, @unchecked Sendable {
    let name = "local"
    let baseURL = "http://fake.invalid/v1"
    let defaultModel: String? = "clip"
    private let lock = NSLock()
    private(set) var requests: [EmbeddingRequest] = []
    let answer: @Sendable (EmbeddingRequest) throws(ModelProviderError) -> [[Float]]

    init(_ answer: @escaping @Sendable (EmbeddingRequest) throws(ModelProviderError) -> [[Float]]) { self.answer = answer }

    func chat(_ request: ChatRequest) throws(ModelProviderError) -> ChatResult { throw refusal("no chat") }
    func chatAll(_ requests: [ChatRequest]) -> [Result<ChatResult, ModelProviderError>] { [] }
    func transcribe(_ request: TranscriptionRequest) throws(ModelProviderError) -> TranscriptionResult { throw refusal("no audio") }
    func embed(_ request: EmbeddingRequest) throws(ModelProviderError) -> EmbeddingResult {
        lock.withLock { requests.append(request) }
        return EmbeddingResult(vectors: try answer(request), model: request.model ?? "clip", usage: TokenUsage(), cached: false)
    }
    var imageRequests: Int { lock.withLock { requests.filter { $0.inputs.contains { if case .jpeg = $0 { true } else { false } } }.count } }
}

private func refusal(_ message: String, status: Int = 400) -> ModelProviderError {
    ModelProviderError(kind: .http, provider: "local", status: status, message: "provider 'local' answered \(status): \(message)")
}

/// A deterministic "embedding" of bytes: 8 numbers from an FNV hash, so different inputs differ.
private func hashVector(_ bytes: [UInt8], dim: Int = 8) -> [Float] {
    var h: UInt64 = 0xcbf29ce484222325
    return (0..<dim).map { i in
        for b in bytes + [UInt8(i)] { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return Float(h % 2000) / 1000 - 1
    }
}

/// What a text-only embedder does: any string is embedded as text (a data URI too); objects are refused.
private func textOnly(_ request: EmbeddingRequest) throws(ModelProviderError) -> [[Float]] {
    var out: [[Float]] = []
    for input in request.inputs {
        switch input {
        case .text(let text): out.append(hashVector(Array(text.utf8)))
        case .jpeg(let bytes):
            guard request.imageFormat == .dataURI else { throw refusal("'input' must be a string or an array of strings") }
            out.append(hashVector(Array(ProbeImages.dataURI(bytes).utf8)))
        }
    }
    return out
}

/// A CLIP-like server that takes images only as input objects: images and texts land in one space.
private func clipObjects(dim: Int = 8) -> @Sendable (EmbeddingRequest) throws(ModelProviderError) -> [[Float]] {
    { request throws(ModelProviderError) in
        try request.inputs.map { input throws(ModelProviderError) in
            switch input {
            case .text(let text): return hashVector(Array(("text:" + text).utf8), dim: dim)
            case .jpeg(let bytes):
                guard request.imageFormat == .inputObject else { throw refusal("Input should be a valid string") }
                return hashVector(bytes, dim: dim)
            }
        }
    }
}

private func frames(_ times: [Double]) -> [SampledFrame] {
    times.map { SampledFrame(time: $0, shotIndex: nil, phash: 0, width: 4, height: 4, jpeg: [0xFF, 0xD8, UInt8(Int($0 * 10) % 255), 0xFF, 0xD9]) }
}

private func run(_ provider: ScriptedEmbedder, format: EmbedFrames.Format = .auto, times: [Double] = [0.5, 1.5, 2.5])
    throws -> [Embedding] {
    var p = EmbedFrames.Parameters()
    p.format = format
    p.batchSize = 2
    let context = StageContext(videoPath: "/v/a.mp4", info: info(), upstream: ["keyframes": .frames(frames(times))],
                               provider: provider, stageName: "frames")
    guard case .embeddings(let vectors) = try compute(EmbedFrames.work(parameters: p, context: context)) else {
        throw StageModelError("not embeddings")
    }
    return vectors
}

@Suite("embed.frames: image formats, the capability check, bad vectors")
struct EmbedFramesTests {
    @Test("the probe images are two different real JPEGs")
    func probes() {
        let (a, b) = ProbeImages.jpegs
        #expect(a.prefix(2) == [0xFF, 0xD8] && b.prefix(2) == [0xFF, 0xD8])
        #expect(a != b && a.count > 100)
    }

    @Test("auto finds the format the server takes, checks it once per run, and embeds every frame in it")
    func autoDetects() throws {
        let provider = ScriptedEmbedder(clipObjects())
        let vectors = try run(provider)
        #expect(vectors.count == 3)
        #expect(vectors.map(\.start) == [0.5, 1.5, 2.5])
        #expect(vectors.allSatisfy { $0.refKind == .frame && $0.vector.count == 8 && $0.model == "clip" })
        // messages was refused, input_object passed: frames went as input objects.
        let formats = provider.requests.filter { $0.inputs.contains { if case .jpeg = $0 { true } else { false } } }.map(\.imageFormat)
        #expect(formats.first == .messages)
        #expect(formats.suffix(2) == [.inputObject, .inputObject])
        // A second video with the same provider: no probing again.
        let before = provider.requests.count
        _ = try run(provider, times: [4])
        #expect(provider.requests.count == before + 1)
        #expect(provider.requests.last?.imageFormat == .inputObject)
    }

    @Test("a text-only embedder is refused in every format with a clear one-line reason; nothing is embedded")
    func textOnlyRefused() throws {
        let provider = ScriptedEmbedder(textOnly)
        #expect {
            try run(provider)
        } throws: { error in
            let text = "\(error)"
            return text.contains("frames: provider 'local' model 'clip' does not embed images in any format")
                && text.contains("data_uri: an image's vector equals that of its data URI embedded as text: a text-only embedder")
                && text.contains("messages: provider 'local' answered 400") && !text.contains("\n")
        }
        // Only the probes were sent, never a frame; and the verdict is kept: the next video fails without a request.
        let (a, _) = ProbeImages.jpegs
        #expect(provider.requests.allSatisfy { request in request.inputs.allSatisfy { input in
            if case .jpeg(let bytes) = input { return ProbeImages.jpegs.first == bytes || ProbeImages.jpegs.second == bytes }
            if case .text(let t) = input { return t == ProbeImages.dataURI(a) }
            return false
        } })
        let count = provider.requests.count
        #expect(throws: (any Error).self) { try run(provider) }
        #expect(provider.requests.count == count)
    }

    @Test("a server that ignores the image (same vector for any image) is refused")
    func imageBlind() throws {
        let provider = ScriptedEmbedder { request in
            request.inputs.map { if case .text(let t) = $0 { hashVector(Array(t.utf8)) } else { [1, 0, 0, 0, 0, 0, 0, 0] } }
        }
        #expect {
            try run(provider, format: .messages)
        } throws: { error in
            "\(error)".contains("in format messages: two different images gave the same vector")
        }
    }

    @Test("text and image vectors of different dimensions are refused: text queries could not search them")
    func towersDisagree() throws {
        let provider = ScriptedEmbedder { request in
            request.inputs.map { if case .jpeg(let b) = $0 { hashVector(b, dim: 8) } else { hashVector([1], dim: 4) } }
        }
        #expect {
            try run(provider, format: .dataURI)
        } throws: { "\($0)".contains("image vectors have 8 dimensions but text vectors 4") }
    }

    @Test("a frame the server rejects, or a vector of another dimension mid-stage, fails the stage with its time")
    func badAnswers() throws {
        let probes = ProbeImages.jpegs
        let rejecting = ScriptedEmbedder { request throws(ModelProviderError) in
            if request.inputs.contains(.jpeg(frames([1.5])[0].jpeg)) { throw refusal("image too large (max 1024x1024)", status: 413) }
            return try clipObjects()(request)
        }
        #expect {
            try run(rejecting, format: .inputObject)
        } throws: { "\($0)" == "frames: the server refused frames at 0.500–1.500 s (format input_object): provider 'local' answered 413: image too large (max 1024x1024)" }

        let drifting = ScriptedEmbedder { request throws(ModelProviderError) in
            let isProbe = request.inputs.allSatisfy { if case .jpeg(let b) = $0 { b == probes.first || b == probes.second } else { true } }
            return try clipObjects(dim: isProbe ? 8 : 6)(request)
        }
        #expect {
            try run(drifting, format: .inputObject)
        } throws: { "\($0)".contains("frames: the server returned a 6-dimensional vector at 0.500 s where its check gave 8 dimensions") }
    }

    @Test("the server being down is not a verdict: it fails now and is probed again next time")
    func transientNotRemembered() throws {
        let provider = ScriptedEmbedder { _ throws(ModelProviderError) in
            throw ModelProviderError(kind: .unreachable, provider: "local", message: "cannot reach provider 'local'")
        }
        #expect(throws: (any Error).self) { try run(provider) }
        let count = provider.requests.count
        #expect(count == 1)  // no other format tried: no format cures a server that is down
        #expect(throws: (any Error).self) { try run(provider) }
        #expect(provider.requests.count == count + 1)
    }
}
