import Foundation
import Testing
import TestSupport
@testable import SherpaOnnx

/// The installed model (scripts/setup.sh), or $VIDPIPE_MODEL_DIR/silero_vad.onnx.
let sileroModel: String? = {
    var candidates = ["/usr/local/share/vidpipe/models/silero_vad.onnx"]
    if let dir = ProcessInfo.processInfo.environment["VIDPIPE_MODEL_DIR"] { candidates.insert("\(dir)/silero_vad.onnx", at: 0) }
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
}()

@Suite("SileroVAD", .enabled(if: sileroModel != nil, "silero_vad.onnx is not installed (run scripts/setup.sh)"))
struct SileroVADTests {
    func detect(_ samples: [Float], piece: Int = 3_001, _ configure: (inout SileroVAD.Settings) -> Void = { _ in })
        throws -> [SileroVAD.Segment] {
        var settings = SileroVAD.Settings(model: sileroModel!)
        configure(&settings)
        let vad = try SileroVAD(settings: settings)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + piece)
            vad.accept(Array(samples[start..<end]))
            start = end
        }
        #expect(vad.samplesFed <= samples.count)
        return vad.finish()
    }

    @Test("speech placed at known times between silences: boundaries within 0.3 s",
          .enabled(if: SpeechLayoutFixture.isAvailable, "pocketsphinx-testdata is not installed"))
    func layoutBoundaries() throws {
        let dir = try TemporaryDirectory()
        let layout = try SpeechLayoutFixture.make(at: dir.path("layout.f32"), format: "f32le")
        let samples = try SpeechLayoutFixture.readFloats(layout.path)
        let started = Date()
        let segments = try detect(samples)
        let elapsed = Date().timeIntervalSince(started)
        print("SileroVAD layout: expected \(layout.speech), detected \(segments.map { ($0.start, $0.end) }); "
              + "real-time factor \(elapsed / layout.duration) (\(elapsed) s for \(layout.duration) s)")
        try #require(segments.count == layout.speech.count, "\(segments)")
        for (found, expected) in zip(segments, layout.speech) {
            #expect(abs(found.start - expected.start) <= 0.3, "start \(found.start) vs \(expected.start)")
            #expect(abs(found.end - expected.end) <= 0.3, "end \(found.end) vs \(expected.end)")
        }
    }

    @Test("the piece size fed does not change the result")
    func pieceSizeInvariance() throws {
        guard SpeechLayoutFixture.isAvailable else { return }
        let dir = try TemporaryDirectory()
        let layout = try SpeechLayoutFixture.make(at: dir.path("layout.f32"), gaps: [1, 1.5, 1], format: "f32le")
        let samples = try SpeechLayoutFixture.readFloats(layout.path)
        let a = try detect(samples, piece: 512)
        let b = try detect(samples, piece: 16_000)
        #expect(a == b)
        #expect(a.count == 2)
    }

    @Test("digital silence and low noise: no speech")
    func silence() throws {
        #expect(try detect([Float](repeating: 0, count: 16_000 * 3)).isEmpty)
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<(16_000 * 3)).map { _ in Float.random(in: -0.001...0.001, using: &generator) }
        #expect(try detect(noise).isEmpty)
    }

    @Test("a steady 440 Hz tone is not speech")
    func tone() throws {
        let tone = (0..<(16_000 * 4)).map { 0.3 * sin(2 * Float.pi * 440 * Float($0) / 16_000) }
        let segments = try detect(tone)
        print("SileroVAD on a 4 s 440 Hz tone: \(segments)")
        #expect(segments.isEmpty)
    }

    @Test("a missing model file is an error naming the path and scripts/setup.sh, before sherpa-onnx is called")
    func missingModel() {
        let path = "/nonexistent/models/silero_vad.onnx"
        do {
            _ = try SileroVAD(settings: SileroVAD.Settings(model: path))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .modelMissing)
            #expect(error.description.contains(path))
            #expect(error.description.contains("scripts/setup.sh"))
        }
    }

    @Test("out-of-range settings are rejected")
    func invalidSettings() {
        var settings = SileroVAD.Settings(model: sileroModel!)
        settings.threshold = 1.5
        #expect(throws: SherpaOnnxError.self) { try SileroVAD(settings: settings) }
        settings.threshold = 0.5
        settings.maxSpeech = 0
        #expect(throws: SherpaOnnxError.self) { try SileroVAD(settings: settings) }
    }
}
