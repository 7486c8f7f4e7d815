import Foundation
import MediaIO
import Testing
import TestSupport

@Suite struct AudioPassTests {
    @Test func sineIsResampledTo16kMono() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("tone.m4a")
        try MediaFixture.sineM4A(at: path, seconds: 3, frequency: 440, sampleRate: 44100)
        let info = try MediaProbe.probe(path: path)
        let (chunks, report) = try collectAudio(path, chunkSeconds: 0.5)
        let total = chunks.reduce(0) { $0 + $1.samples.count }
        #expect(report.deliveredSamples == total)
        #expect(abs(Double(total) - info.duration * 16000) < info.duration * 16000 * 0.01)
        #expect(chunks.allSatisfy { $0.sampleRate == 16000 })
        #expect(chunks.dropLast().allSatisfy { $0.samples.count == 8000 })

        // Contiguous: each chunk starts where the previous one ended.
        #expect(abs(chunks[0].startTime) < 0.03)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            #expect(abs(previous.startTime + previous.duration - next.startTime) < 1e-6)
        }

        // A 440 Hz sine crosses zero 880 times a second (skip the edges where the codec ramps).
        let samples = chunks.flatMap(\.samples)
        let middle = samples[8000..<(samples.count - 8000)]
        var crossings = 0
        for (a, b) in zip(middle, middle.dropFirst()) where (a < 0) != (b < 0) { crossings += 1 }
        let rate = Double(crossings) / (Double(middle.count) / 16000)
        #expect(abs(rate - 880) < 10)
        let peak = middle.map { abs($0) }.max() ?? 0
        #expect(peak > 0.05 && peak <= 1.0)
    }

    @Test func audioOfAVideoSharesTheVideoTimeAxis() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 2)
        let (chunks, report) = try collectAudio(path)
        #expect(report.warnings.isEmpty)
        let total = chunks.reduce(0) { $0 + $1.samples.count }
        let duration = try MediaProbe.probe(path: path).duration
        // AAC pads its last frame, so a 2 s track decodes to ~2.02 s, exactly as the ffmpeg CLI does.
        #expect(abs(Double(total) - duration * 16000) < duration * 16000 * 0.015)
        let raw = dir.path("reference.f32")
        try ffmpeg(["-i", path, "-vn", "-ar", "16000", "-ac", "1", "-f", "f32le"], output: raw)
        let referenceCount = try Data(contentsOf: URL(fileURLWithPath: raw)).count / 4
        #expect(abs(total - referenceCount) <= 16)
        #expect(abs(chunks[0].startTime) < 0.03)
    }

    @Test func stereoInputIsDownmixed() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("stereo.mkv")
        try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=2",
                    "-ac", "2", "-c:a", "pcm_s16le"], output: path)
        #expect(try MediaProbe.probe(path: path).audioChannels == 2)
        let (chunks, _) = try collectAudio(path)
        let total = chunks.reduce(0) { $0 + $1.samples.count }
        #expect(abs(total - 32000) <= 320)
    }
}
