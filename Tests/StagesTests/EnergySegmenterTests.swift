import Foundation
import Testing
@testable import Stages

@Suite("EnergySegmenter")
struct EnergySegmenterTests {
    static let rate = 16_000

    /// (seconds, amplitude) parts; amplitude 0 is digital silence, otherwise a 440 Hz sine.
    func signal(_ parts: [(Double, Float)], noiseFloor: Float = 0) -> [Float] {
        var out: [Float] = []
        var generator = SystemRandomNumberGenerator()
        for (seconds, amplitude) in parts {
            let n = Int(seconds * Double(Self.rate))
            for i in 0..<n {
                let tone = amplitude * sin(2 * Float.pi * 440 * Float(out.count + i) / Float(Self.rate))
                let noise = noiseFloor > 0 ? Float.random(in: -noiseFloor...noiseFloor, using: &generator) : 0
                out.append(tone + noise)
            }
        }
        return out
    }

    func segment(_ samples: [Float], chunk: Int = 7_001, _ configure: (inout EnergySegmenter.Settings) -> Void = { _ in })
        -> [AudioSegment] {
        var settings = EnergySegmenter.Settings()
        configure(&settings)
        var segmenter = EnergySegmenter(settings: settings, sampleRate: Self.rate)
        var start = 0
        while start < samples.count {
            let end = min(samples.count, start + chunk)
            segmenter.process(samples: Array(samples[start..<end]), startTime: Double(start) / Double(Self.rate))
            start = end
        }
        return segmenter.finish()
    }

    @Test("silence / tone / silence / tone boundaries within 50 ms, contiguous, with loudness")
    func layout() {
        let samples = signal([(1, 0), (2, 0.3), (1.5, 0), (1, 0.3)], noiseFloor: 0.0005)
        let segments = segment(samples)
        #expect(segments.map(\.kind) == [.silence, .speech, .silence, .speech])
        let expected: [(Double, Double)] = [(0, 1), (1, 3), (3, 4.5), (4.5, 5.5)]
        for (segment, (start, end)) in zip(segments, expected) {
            #expect(abs(segment.start - start) <= 0.05, "\(segment)")
            #expect(abs(segment.end - end) <= 0.05, "\(segment)")
        }
        for (a, b) in zip(segments, segments.dropFirst()) { #expect(a.end == b.start) }
        #expect(segments.first?.start == 0)
        #expect(abs((segments.last?.end ?? 0) - 5.5) < 1e-9)
        // A 0.3 sine is 20·log10(0.3/√2) ≈ -13.5 dBFS; a ±0.0005 uniform noise floor ≈ -70.8 dBFS.
        #expect(abs(segments[1].loudnessDB - -13.5) < 0.5)
        #expect(abs(segments[0].loudnessDB - -70.8) < 1.5)
    }

    @Test("digital silence is -120 dBFS and a silent file is one silence segment")
    func digitalSilence() {
        let segments = segment(signal([(2, 0)]))
        #expect(segments == [AudioSegment(kind: .silence, start: 0, end: 2, loudnessDB: -120)])
    }

    @Test("hysteresis: a 100 ms dip inside speech does not split it; a 700 ms gap does")
    func hysteresis() {
        let dip = segment(signal([(0.5, 0), (1, 0.3), (0.1, 0), (1, 0.3), (0.5, 0)]))
        #expect(dip.map(\.kind) == [.silence, .speech, .silence])
        #expect(abs(dip[1].start - 0.5) <= 0.05 && abs(dip[1].end - 2.6) <= 0.05)

        // A level between the leave and enter thresholds keeps speech going but does not start it.
        let between = segment(signal([(0.5, 0), (1, 0.3), (1, 0.016), (0.5, 0)]))  // ≈ -38.9 dBFS
        #expect(between.map(\.kind) == [.silence, .speech, .silence])
        #expect(abs(between[1].end - 2.5) <= 0.05)
        let onlyBetween = segment(signal([(0.5, 0), (1, 0.016), (0.5, 0)]))
        #expect(onlyBetween.map(\.kind) == [.silence])

        let gap = segment(signal([(0.5, 0), (1, 0.3), (0.7, 0), (1, 0.3)]))
        #expect(gap.map(\.kind) == [.silence, .speech, .silence, .speech])
        #expect(abs(gap[2].start - 1.5) <= 0.05 && abs(gap[2].end - 2.2) <= 0.05)
    }

    @Test("speech shorter than min_speech is silence")
    func minSpeech() {
        let blip = segment(signal([(1, 0), (0.1, 0.3), (1, 0)]))
        #expect(blip.map(\.kind) == [.silence])
        let longer = segment(signal([(1, 0), (0.3, 0.3), (1, 0)]))
        #expect(longer.map(\.kind) == [.silence, .speech, .silence])
        let strict = segment(signal([(1, 0), (0.3, 0.3), (1, 0)])) { $0.minSpeech = 0.5 }
        #expect(strict.map(\.kind) == [.silence])
    }

    @Test("chunk size does not change the result")
    func chunking() {
        let samples = signal([(0.7, 0), (1.3, 0.2), (0.9, 0.001), (0.4, 0.2)])
        let a = segment(samples, chunk: 160)
        let b = segment(samples, chunk: 32_000)
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.kind == y.kind && x.start == y.start && x.end == y.end)
            #expect(abs(x.loudnessDB - y.loudnessDB) < 1e-6)
        }
    }
}
