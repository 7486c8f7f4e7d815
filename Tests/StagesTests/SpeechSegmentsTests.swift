import Foundation
import MediaIO
import SherpaOnnx
import Testing
import TestSupport
@testable import Stages

private let sileroInstalled = SpeechSegments.defaultModelCandidates().contains { FileManager.default.fileExists(atPath: $0) }

@Suite("speech.segments")
struct SpeechSegmentsTests {
    func speechSpans(_ output: StageOutput?) -> [AudioSegment] {
        guard case .audioSegments(let segments)? = output else { return [] }
        return segments.filter { $0.kind == .speech }
    }

    func checkCoverage(_ segments: [AudioSegment], duration: Double) {
        #expect(segments.first?.start == 0)
        #expect(abs((segments.last?.end ?? 0) - duration) < 0.05, "ends at \(segments.last?.end ?? 0), track \(duration)")
        for (a, b) in zip(segments, segments.dropFirst()) {
            #expect(a.end == b.start)
            #expect(a.kind != b.kind, "segments alternate")
        }
    }

    @Test("Silero VAD on real speech at known times: padded boundaries within 0.3 s, whole track covered",
          .enabled(if: sileroInstalled && SpeechLayoutFixture.isAvailable, "needs silero_vad.onnx and pocketsphinx-testdata"))
    func layout() throws {
        let dir = try TemporaryDirectory()
        let layout = try SpeechLayoutFixture.make(at: dir.path("layout.wav"))
        var parameters = SpeechSegments.Parameters()
        parameters.padding = Seconds(0)
        let started = Date()
        let outcome = try StageDriver.run(SpeechSegments.self, parameters, path: layout.path)
        let elapsed = Date().timeIntervalSince(started)
        guard case .audioSegments(let all)? = outcome.output else { Issue.record("no output"); return }
        let speech = all.filter { $0.kind == .speech }
        let errors = zip(speech, layout.speech).flatMap { [$0.start - $1.start, $0.end - $1.end] }
        print("speech.segments (silero) on \(layout.speech): \(speech.map { ($0.start, $0.end) }), "
              + "boundary errors \(errors.map { ($0 * 1000).rounded() / 1000 }) s; "
              + "decode+VAD real-time factor \(elapsed / layout.duration)")
        try #require(speech.count == 2, "\(all)")
        for e in errors { #expect(abs(e) <= 0.3) }
        checkCoverage(all, duration: layout.duration)
        // Speech is far louder than the silences (digital silence plus the clips' quiet tails).
        for s in all { #expect(s.kind == .speech ? s.loudnessDB > -35 : s.loudnessDB < -45, "\(s)") }
        #expect(all.first?.loudnessDB == -120)

        // Default padding (100 ms) widens each speech segment by up to 0.1 s on each side.
        let padded = speechSpans(try StageDriver.run(SpeechSegments.self, path: layout.path).output)
        try #require(padded.count == 2)
        for (p, s) in zip(padded, speech) {
            #expect(abs((s.start - p.start) - 0.1) < 0.011)
            #expect(abs((p.end - s.end) - 0.1) < 0.011)
        }
    }

    @Test("padding merges speech separated by less than twice the padding",
          .enabled(if: sileroInstalled && SpeechLayoutFixture.isAvailable, "needs silero_vad.onnx and pocketsphinx-testdata"))
    func paddingMerges() throws {
        let dir = try TemporaryDirectory()
        let layout = try SpeechLayoutFixture.make(at: dir.path("close.wav"), gaps: [1, 0.8, 1])
        var parameters = SpeechSegments.Parameters()
        parameters.padding = Seconds(0.6)
        let speech = speechSpans(try StageDriver.run(SpeechSegments.self, parameters, path: layout.path).output)
        #expect(speech.count == 1, "\(speech)")
        parameters.padding = Seconds(0)
        #expect(speechSpans(try StageDriver.run(SpeechSegments.self, parameters, path: layout.path).output).count == 2)
    }

    @Test("silence-only audio and a steady 440 Hz tone: no speech", .enabled(if: sileroInstalled, "needs silero_vad.onnx"))
    func noSpeech() throws {
        let dir = try TemporaryDirectory()
        try ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3", "-c:a", "aac"], output: dir.path("silence.m4a"))
        let silence = try StageDriver.run(SpeechSegments.self, path: dir.path("silence.m4a")).output
        guard case .audioSegments(let segments)? = silence else { Issue.record("no output"); return }
        #expect(segments.map(\.kind) == [.silence])
        checkCoverage(segments, duration: 3)

        try MediaFixture.sineM4A(at: dir.path("tone.m4a"), seconds: 4)
        let tone = try StageDriver.run(SpeechSegments.self, path: dir.path("tone.m4a")).output
        print("speech.segments (silero) on a 440 Hz tone: \(String(describing: tone))")
        #expect(speechSpans(tone).isEmpty)
    }

    @Test("no audio stream: skipped with a reason")
    func noAudio() throws {
        let dir = try TemporaryDirectory()
        try MediaFixture.h264AAC(at: dir.path("mute.mp4"), seconds: 1, audio: false)
        #expect(try StageDriver.run(SpeechSegments.self, path: dir.path("mute.mp4")).skipReason == "no audio stream")
    }

    @Test("a missing model fails the stage before decoding, naming the path and what to do")
    func missingModel() throws {
        let dir = try TemporaryDirectory()
        try MediaFixture.sineM4A(at: dir.path("tone.m4a"), seconds: 1)
        var parameters = SpeechSegments.Parameters()
        parameters.model = dir.path("nowhere/silero_vad.onnx")
        do {
            _ = try StageDriver.run(SpeechSegments.self, parameters, path: dir.path("tone.m4a"))
            Issue.record("expected an error")
        } catch {
            let text = String(describing: error)
            #expect(text.contains(parameters.model))
            #expect(text.contains("scripts/setup.sh"))
        }
        // With no model configured, every default location is named.
        #expect(throws: SherpaOnnxError.self) { try SpeechSegments.resolveModel("", candidates: [dir.path("a.onnx"), dir.path("b.onnx")]) }
        #expect(SpeechSegments.defaultModelCandidates(environment: ["VIDPIPE_MODEL_DIR": "/models"])
                == ["/models/silero_vad.onnx", "/usr/local/share/vidpipe/models/silero_vad.onnx"])
    }

    @Test("engine: energy gives exactly what audio.segments gives with its defaults")
    func energyEngine() throws {
        let dir = try TemporaryDirectory()
        try MediaFixture.sineM4A(at: dir.path("tone.m4a"), seconds: 2)
        var parameters = SpeechSegments.Parameters()
        parameters.engine = .energy
        parameters.model = "/nonexistent/not-needed.onnx"
        let energy = try StageDriver.run(SpeechSegments.self, parameters, path: dir.path("tone.m4a")).output
        let reference = try StageDriver.run(AudioSegments.self, path: dir.path("tone.m4a")).output
        #expect(energy == reference)
        #expect(energy != nil)
    }

    @Test("over a music-and-noise bed silero still finds each utterance; the energy engine hears one long span",
          .enabled(if: sileroInstalled && SpeechLayoutFixture.isAvailable, "needs silero_vad.onnx and pocketsphinx-testdata"))
    func bedComparison() throws {
        let dir = try TemporaryDirectory()
        let layout = try SpeechLayoutFixture.make(at: dir.path("bed.wav"), bed: .musicAndNoise(amplitude: 0.03))
        func spans(_ engine: SpeechSegments.Parameters.Engine) throws -> [AudioSegment] {
            var parameters = SpeechSegments.Parameters()
            parameters.engine = engine
            parameters.padding = Seconds(0)
            return speechSpans(try StageDriver.run(SpeechSegments.self, parameters, path: layout.path).output)
        }
        let silero = try spans(.silero)
        #expect(silero.count == layout.speech.count, "\(silero)")
        for (found, truth) in zip(silero, layout.speech) {
            #expect(abs(found.start - truth.start) <= 0.3 && abs(found.end - truth.end) <= 0.4, "\(found) vs \(truth)")
        }
        // The bed keeps the level above the energy engine's threshold: it cannot separate the utterances,
        // which is why silero is the default.
        let energy = try spans(.energy)
        #expect(energy.count == 1, "\(energy)")
        #expect((energy.first?.start ?? 99) <= layout.speech[0].start && (energy.first?.end ?? 0) >= layout.speech[1].end)
    }

    @Test("parameters: defaults, durations, unknown engine, ranges")
    func parameters() throws {
        let decoded = try JSONDecoder().decode(SpeechSegments.Parameters.self,
                                               from: Data(#"{"min_silence": "300ms", "padding": 0}"#.utf8))
        #expect(decoded.engine == .silero)
        #expect(decoded.minSilence == Seconds(0.3))
        #expect(decoded.padding == Seconds(0))
        #expect(decoded.minSpeech == Seconds(0.25))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SpeechSegments.Parameters.self, from: Data(#"{"engine": "webrtc"}"#.utf8))
        }
        var p = SpeechSegments.Parameters()
        p.threshold = 1
        #expect(throws: ParameterError.self) { try p.validate() }
        #expect(StageRegistry.type(named: "speech.segments") == SpeechSegments.self)
        #expect(Set(SpeechSegments.Parameters.documentation.map(\.name))
                == Set(["engine", "model", "threshold", "min_speech", "min_silence", "padding"]))
    }
}

@Suite("VadTimeline")
struct VadTimelineTests {
    @Test("padding, clamping, merging and silence gaps")
    func spans() {
        let spans = VadTimeline.spans(speech: [(3.0, 4.0), (0.05, 1.0), (1.15, 2.0)], duration: 4.05, padding: 0.1)
        let expected: [(AudioSegmentKind, Double, Double)] = [(.speech, 0, 2.1), (.silence, 2.1, 2.9), (.speech, 2.9, 4.05)]
        #expect(spans.map(\.kind) == expected.map(\.0))
        for (span, (_, start, end)) in zip(spans, expected) {
            #expect(abs(span.start - start) < 1e-9 && abs(span.end - end) < 1e-9, "\(span)")
        }
        #expect(VadTimeline.spans(speech: [], duration: 2, padding: 0.1) == [.init(kind: .silence, start: 0, end: 2)])
        #expect(VadTimeline.spans(speech: [], duration: 0, padding: 0.1).isEmpty)
    }
}
