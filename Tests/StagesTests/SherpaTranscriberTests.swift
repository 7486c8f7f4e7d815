import Foundation
import SherpaOnnx
import Testing
import TestSupport
@testable import Stages

@Suite("SherpaTranscriber")
struct SherpaTranscriberTests {
    typealias Token = SherpaOfflineRecognizer.Token

    @Test("Whisper-style pieces (leading space) become words with times and confidences")
    func whisperPieces() throws {
        let tokens = [Token(text: " He", start: 10.0, logProbability: log(0.9)),
                      Token(text: " was", start: 10.3, logProbability: log(0.8)),
                      Token(text: " not", start: 10.6, logProbability: log(0.7)),
                      Token(text: " ill", start: 10.9, logProbability: log(0.9)),
                      Token(text: "-dis", start: 11.1, logProbability: log(0.5)),
                      Token(text: "posed", start: 11.3, logProbability: log(0.5)),
                      Token(text: ".", start: 11.6, logProbability: log(0.99))]
        let recognition = SherpaOfflineRecognizer.Recognition(text: " He was not ill-disposed.", tokens: tokens, language: nil)
        let segment = try #require(SherpaTranscriber.segment(from: recognition, start: 10, end: 12))
        #expect(segment.text == "He was not ill-disposed.")
        #expect(segment.words.map(\.word) == ["He", "was", "not", "ill-disposed."])
        #expect(segment.words.map(\.start) == [10.0, 10.3, 10.6, 10.9])
        #expect(segment.words.map(\.end) == [10.3, 10.6, 10.9, 12])
        #expect(abs((segment.words[0].confidence ?? 0) - 0.9) < 1e-9)
        #expect(segment.confidence != nil)
    }

    @Test("SentencePiece pieces (▁) with durations; control tokens dropped; no times means no words")
    func sentencePieces() throws {
        let tokens = [Token(text: "<|en|>", start: 0), Token(text: "▁made", start: 1.0, duration: 0.2),
                      Token(text: "▁ami", start: 1.3, duration: 0.1), Token(text: "able", start: 1.4, duration: 0.2)]
        let segment = try #require(SherpaTranscriber.segment(
            from: .init(text: "made amiable", tokens: tokens, language: "<|en|>"), start: 0.5, end: 3))
        #expect(segment.words.map(\.word) == ["made", "amiable"])
        #expect(abs(segment.words[1].end - 1.6) < 1e-9)
        #expect(segment.confidence == nil)

        let untimed = SherpaTranscriber.segment(
            from: .init(text: "made amiable", tokens: [Token(text: " made", start: nil)], language: nil), start: 0, end: 1)
        #expect(untimed?.words == [])
        #expect(SherpaTranscriber.segment(from: .init(text: "  ", tokens: [], language: nil), start: 0, end: 1) == nil)
    }

    @Test("an incomplete model directory fails with the missing files")
    func incompleteDirectory() throws {
        let dir = try TemporaryDirectory()
        try Data("x".utf8).write(to: dir.url.appendingPathComponent("tokens.txt"))
        do {
            _ = try SherpaTranscriber(modelDirectory: dir.url.path, modelType: .senseVoice)
            Issue.record("expected an error")
        } catch let error as SherpaOnnxError {
            #expect(error.missingFiles == ["model.onnx (or model.int8.onnx)"])
        }
    }
}

@Suite("SherpaTranscriber pieces")
struct SherpaTranscriberPiecesTests {
    @Test("long speech is cut into pieces of at most the limit, at the quiet spot near each limit")
    func pieces() {
        // 10 units of loud signal with a quiet dip around sample 930 of every 1000.
        let samples: [Float] = (0..<2_500).map { i in (900..<960).contains(i % 1_000) ? 0 : 0.5 }
        let ranges = SherpaTranscriber.pieces(samples, maxSamples: 1_000)
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.last?.upperBound == 2_500)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        for r in ranges { #expect(r.count <= 1_000) }
        #expect(ranges.count == 3)
        #expect(samples[ranges[0].upperBound] == 0, "cut inside the dip, at \(ranges[0].upperBound)")
        #expect(SherpaTranscriber.pieces([Float](repeating: 0.1, count: 500), maxSamples: 1_000) == [0..<500])
    }
}
