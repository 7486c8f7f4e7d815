import Foundation
import MediaIO
import Testing
import TestSupport

@Suite struct ScalingAndRotationTests {
    @Test func fitsInsideMaxSizeKeepingAspect() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 1, audio: false)
        let requests = [FrameRequest(policy: .timestamps([0.5]), maxWidth: 160),
                        FrameRequest(policy: .timestamps([0.5]), maxWidth: 160, layout: .gray8),
                        FrameRequest(policy: .timestamps([0.5]), maxWidth: 1000, maxHeight: 60),
                        FrameRequest(policy: .timestamps([0.5]))]
        let (frames, _) = try collectFrames(path, requests)
        let rgb = try #require(frames[0].first)
        #expect(rgb.width == 160 && rgb.height == 120 && rgb.layout == .rgb24)
        #expect(rgb.pixels.count == 160 * 120 * 3 && rgb.bytesPerRow == 480)
        let gray = try #require(frames[1].first)
        #expect(gray.width == 160 && gray.height == 120 && gray.pixels.count == 160 * 120)
        let short = try #require(frames[2].first)
        #expect(short.width == 80 && short.height == 60)
        // 0 means no limit, and the frame is never upscaled.
        let full = try #require(frames[3].first)
        #expect(full.width == 320 && full.height == 240 && full.pixels.count == 320 * 240 * 3)
    }

    @Test func anamorphicFrameIsScaledToDisplayAspect() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("anamorphic.mp4")
        // 320x240 storage with a 2:1 sample aspect ratio displays as 640x240.
        try MediaFixture.h264AAC(at: path, seconds: 1, audio: false, extra: ["-vf", "setsar=2/1"])
        let (frames, _) = try collectFrames(path, [FrameRequest(policy: .timestamps([0]), maxWidth: 320)])
        let frame = try #require(frames[0].first)
        #expect(frame.width == 320 && frame.height == 120)
    }

    @Test func rotatedFileIsDeliveredUpright() throws {
        let dir = try TemporaryDirectory()
        let source = dir.path("plain.mp4"), path = dir.path("rotated.mp4")
        try MediaFixture.h264AAC(at: source, seconds: 1, audio: false)
        try MediaFixture.rotated(from: source, to: path, degrees: 90)
        let sideData = try MediaFixture.probeVideoStream(path, entries: "width,height")
        #expect(sideData.contains("Display Matrix"))

        // FFmpeg 5.1's CLI turns `rotate=90` into a display matrix of +90° counter-clockwise
        // (av_display_rotation_get = 90), which a player shows as a 270° clockwise turn.
        let info = try MediaProbe.probe(path: path)
        #expect(info.rotation == 270)
        #expect(info.width == 240 && info.height == 320)

        let (frames, _) = try collectFrames(path, [FrameRequest(policy: .timestamps([0]), maxHeight: 160),
                                                   FrameRequest(policy: .timestamps([0]), layout: .gray8)])
        let small = try #require(frames[0].first)
        #expect(small.width == 120 && small.height == 160)
        #expect(small.pixels.count == 120 * 160 * 3)
        let full = try #require(frames[1].first)
        #expect(full.width == 240 && full.height == 320)

        // The upright frame matches what the ffmpeg CLI shows with its own autorotation.
        let raw = dir.path("upright.gray")
        try ffmpeg(["-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray"], output: raw)
        let reference = [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
        #expect(reference.count == full.pixels.count)
        let difference = zip(reference, full.pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        #expect(Double(difference) / Double(max(1, reference.count)) < 3)
    }

    @Test func variableFrameRateTimesMatchFFprobe() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("vfr.mkv")
        try MediaFixture.variableFrameRate(at: path)
        let expected = try MediaFixture.probedFrameTimes(path)
        #expect(expected.count == 40)
        let (frames, _) = try collectFrames(path, [FrameRequest(policy: .everyFrame, maxWidth: 32)])
        let times = frames[0].map(\.time)
        #expect(times.count == expected.count)
        for (got, want) in zip(times, expected) {
            #expect(abs(got - want) < 0.0015)
        }
        // The two rates are really there: 100 ms steps first, then ~33 ms steps.
        #expect(abs((times[1] - times[0]) - 0.1) < 0.002)
        #expect(abs((times[39] - times[38]) - 1.0 / 30) < 0.002)
    }
}
