import MediaIO
import Testing
import TestSupport

/// Sparse requests seek on a long-GOP file with B-frames and must pick the same frames as a forward decode.
@Suite struct SeekingTests {
    private func longGOPClip(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.path("long-gop.mp4")
        // 12 s at 25 fps, a keyframe every 3 s, B-frames (veryfast keeps them, ultrafast would not).
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=12",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-g", "75", "-keyint_min", "75", "-sc_threshold", "0", "-bf", "2"], output: path)
        return path
    }

    @Test(arguments: [SamplingPolicy.interval(seconds: 4), .timestamps([0.4, 3.0, 2.96, 7.2, 11.5]), .fps(0.25)])
    func seekingMatchesForwardDecode(policy: SamplingPolicy) throws {
        let dir = try TemporaryDirectory()
        let path = try longGOPClip(dir)
        let sparse = FrameRequest(policy: policy, maxWidth: 64)
        let (seeked, seekReport) = try collectFrames(path, [sparse])
        // An everyFrame request alongside forces one forward pass without seeking.
        let (forward, forwardReport) = try collectFrames(path, [sparse, FrameRequest(policy: .everyFrame, maxWidth: 16)])
        #expect(seekReport.seeks > 0)
        #expect(forwardReport.seeks == 0)
        #expect(seekReport.decodedFrames < forwardReport.decodedFrames)
        #expect(!seeked[0].isEmpty)
        #expect(seeked[0].map(\.time) == forward[0].map(\.time))
        #expect(seeked[0].map(\.targetTime) == forward[0].map(\.targetTime))
        #expect(seeked[0].map(\.pixels) == forward[0].map(\.pixels))
    }

    @Test func snapToKeyframeDeliversThePrecedingKeyframe() throws {
        let dir = try TemporaryDirectory()
        let path = try longGOPClip(dir)
        let request = FrameRequest(policy: .timestamps([1.0, 4.0, 5.0, 10.0]), maxWidth: 64, snapToKeyframe: true)
        let (frames, report) = try collectFrames(path, [request])
        #expect(frames[0].map(\.targetTime) == [1.0, 4.0, 5.0, 10.0])
        #expect(frames[0].allSatisfy { $0.isKeyframe })
        let times = frames[0].map { ($0.time * 1000).rounded() / 1000 }
        #expect(times == [0, 3, 3, 9])
        // Only keyframes are decoded (0, 3, 6 and 9 s at most): seeking past or skipping the rest.
        #expect(report.decodedFrames <= 4)
    }

    @Test func mpegTSSeeksOnceAcrossTheLongGap() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.ts")
        try MediaFixture.h264AAC(at: path, seconds: 14, gop: 25, audio: false)
        let sparse = FrameRequest(policy: .timestamps([1.0, 2.0, 12.0]), maxWidth: 32)
        let (seeked, report) = try collectFrames(path, [sparse])
        let (forward, _) = try collectFrames(path, [sparse, FrameRequest(policy: .everyFrame, maxWidth: 16)])
        #expect(report.seeks == 1)
        #expect(seeked[0].map(\.targetTime) == [1.0, 2.0, 12.0])
        #expect(seeked[0].map(\.time) == forward[0].map(\.time))
        #expect(seeked[0].map(\.pixels) == forward[0].map(\.pixels))
    }
}
