import Foundation
import MediaIO
import Testing
import TestSupport

/// The `.area` scaling filter (box average read straight from 4:2:0 planes, then a [1 2 1] smoothing)
/// against the ffmpeg CLI's own area scaler, its fall-backs, and the frame hand-off behind the decoder.
@Suite struct AreaFilterTests {
    /// Mean absolute difference per byte.
    private func meanDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        Double(zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }) / Double(max(1, min(a.count, b.count)))
    }

    @Test func flatColourComesOutAsThatColour() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("flat.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=0x3366CC:size=1280x720:rate=25:duration=0.2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"], output: path)
        let (frames, _) = try collectFrames(path, [FrameRequest(policy: .timestamps([0]), maxWidth: 128, filter: .area)])
        let frame = try #require(frames[0].first)
        #expect(frame.width == 128 && frame.height == 72 && frame.pixels.count == 128 * 72 * 3)
        // RGB -> limited-range YUV -> RGB loses a little; a wrong matrix or range would be off by tens.
        let expected = [0x33, 0x66, 0xCC]
        let worst = frame.pixels.enumerated().map { abs(Int($0.element) - expected[$0.offset % 3]) }.max() ?? 255
        #expect(worst <= 3, "a channel is \(worst) codes off 0x3366CC")
    }

    @Test func patternMatchesFFmpegAreaScaler() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("pattern.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=0.2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"], output: path)
        let requests = [FrameRequest(policy: .timestamps([0]), maxWidth: 128, filter: .area),
                        FrameRequest(policy: .timestamps([0]), maxWidth: 128, layout: .gray8, filter: .area)]
        let (frames, _) = try collectFrames(path, requests)
        let rgb = try #require(frames[0].first), gray = try #require(frames[1].first)
        // Measured: 5.6 (rgb24) and 3.0 (gray) mean difference per byte.
        for (layout, ours, limit) in [("rgb24", rgb, 7.0), ("gray", gray, 4.0)] {
            let raw = dir.path("reference.\(layout)")
            try ffmpeg(["-i", path, "-frames:v", "1", "-vf", "scale=128:72:flags=area", "-f", "rawvideo",
                        "-pix_fmt", layout], output: raw)
            let reference = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
            #expect(reference.count == ours.pixels.count)
            // The smoothing blurs testsrc2's sharp edges a little more than ffmpeg's area filter does; a
            // swapped plane, a wrong box or a wrong colour matrix gives differences of 20 and more.
            let difference = meanDifference(reference, ours.pixels)
            #expect(difference < limit, "mean difference \(difference) against ffmpeg's area scaler (\(layout))")
        }
    }

    @Test func otherFormatsAndSmallReductionsFallBackToBilinear() throws {
        let dir = try TemporaryDirectory()
        let yuv444 = dir.path("444.mp4"), small = dir.path("small.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=0.2",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"], output: yuv444)
        try MediaFixture.h264AAC(at: small, seconds: 0.2, audio: false)  // 320x240
        // 4:4:4 input, and 320 -> 200 (less than a two-fold reduction): both take swscale's bilinear path,
        // so the two filters give identical pixels.
        for (path, width) in [(yuv444, 128), (small, 200)] {
            let (frames, _) = try collectFrames(path, [
                FrameRequest(policy: .timestamps([0]), maxWidth: width, filter: .area),
                FrameRequest(policy: .timestamps([0]), maxWidth: width, filter: .bilinear)])
            let area = try #require(frames[0].first), bilinear = try #require(frames[1].first)
            #expect(area.width == width && area.pixels == bilinear.pixels)
        }
    }

    @Test func consumerErrorStopsThePassAndIsRethrown() throws {
        struct Refused: Error {}
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 4, audio: false)
        let pass = try VideoPass(path: path)
        var delivered = 0
        #expect(throws: Refused.self) {
            _ = try pass.run([FrameRequest(policy: .everyFrame, maxWidth: 32)]) { _, _ in
                delivered += 1
                if delivered == 5 { throw Refused() }
            }
        }
        // Nothing is delivered after the failing frame, and the pass did not decode the whole clip first.
        #expect(delivered == 5)
        // The pass can run again after a failure, from the start.
        var times: [Double] = []
        _ = try pass.run([FrameRequest(policy: .everyFrame, maxWidth: 32)]) { _, frame in times.append(frame.time) }
        #expect(times.count == 100 && times.first == 0)
    }
}
