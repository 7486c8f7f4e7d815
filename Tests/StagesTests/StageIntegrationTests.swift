import Foundation
import MediaIO
import Testing
import TestSupport
@testable import Stages

/// The stage types end to end on generated files, decoded by MediaIO.
@Suite("Stages on real files")
struct StageIntegrationTests {
    @Test("frames.sample, interval policy: one still every 2 s from 0, JPEG thumbnails within max_size")
    func framesSampleInterval() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("clip.mp4")
        try RawClipFrames.hardCutClip(at: clip, shots: 3, shotSeconds: 2)
        var p = FramesSample.Parameters()
        p.every = Seconds(2)
        p.maxSize = 160
        guard case .frames(let stills)? = try StageDriver.run(FramesSample.self, p, path: clip).output else {
            Issue.record("no frames output")
            return
        }
        #expect(stills.map(\.time).map { ($0 * 25).rounded() / 25 } == [0, 2, 4])
        for still in stills {
            #expect(still.jpeg.starts(with: [0xFF, 0xD8]))
            #expect(still.jpeg.suffix(2) == [0xFF, 0xD9])
            #expect(still.width == 160 && still.height == 120)
            #expect(still.shotIndex == nil)
        }
        // Three different patterns: their hashes are far apart.
        #expect(PerceptualHash.hammingDistance(stills[0].phash, stills[1].phash) >= 16)
        #expect(PerceptualHash.hammingDistance(stills[1].phash, stills[2].phash) >= 16)
    }

    @Test("frames.sample, fps and timestamps policies")
    func framesSampleOtherPolicies() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: clip, seconds: 3, audio: false)
        var p = FramesSample.Parameters()
        p.policy = .fps
        p.fps = 2
        guard case .frames(let byRate)? = try StageDriver.run(FramesSample.self, p, path: clip).output else {
            Issue.record("no frames output")
            return
        }
        #expect(byRate.count == 6)
        p.policy = .timestamps
        p.at = [2.5, 0.52]
        guard case .frames(let byTime)? = try StageDriver.run(FramesSample.self, p, path: clip).output else {
            Issue.record("no frames output")
            return
        }
        #expect(byTime.map(\.time) == [0.52, 2.48].map { ($0 * 25).rounded() / 25 })
    }

    @Test("shots.detect on decoded H.264: cuts within one frame of 2 s and 4 s, last shot ends at the duration")
    func shotsDetect() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("cuts.mp4")
        try RawClipFrames.hardCutClip(at: clip, shots: 3, shotSeconds: 2)
        guard case .shots(let shots)? = try StageDriver.run(ShotsDetect.self, path: clip).output else {
            Issue.record("no shots output")
            return
        }
        #expect(shots.count == 3)
        for (k, shot) in shots.enumerated() {
            #expect(abs(shot.start - Double(k) * 2) <= 0.04 + 1e-9, "shot \(k): \(shot)")
        }
        #expect(abs((shots.last?.end ?? 0) - 6) <= 0.04 + 1e-9)
    }

    @Test("frames.keyframes: one sharpest mid-shot still per shot, with its shot index")
    func framesKeyframes() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("cuts.mp4")
        try RawClipFrames.hardCutClip(at: clip, shots: 3, shotSeconds: 2)
        let shots = [ShotSpan(index: 0, start: 0, end: 2), ShotSpan(index: 1, start: 2, end: 4),
                     ShotSpan(index: 2, start: 4, end: 6)]
        guard case .frames(let stills)? = try StageDriver.run(
            FramesKeyframes.self, path: clip, upstream: ["shots": .shots(shots)]).output else {
            Issue.record("no frames output")
            return
        }
        #expect(stills.map(\.shotIndex) == [0, 1, 2])
        for (still, shot) in zip(stills, shots) {
            let fraction = (still.time - shot.start) / (shot.end - shot.start)
            #expect(fraction >= 0.33 && fraction <= 0.67, "still at \(still.time) in \(shot)")
            #expect(still.jpeg.starts(with: [0xFF, 0xD8]))
        }
        #expect(FramesKeyframes.candidateFractions(count: 3) == [0.35, 0.5, 0.65])
    }

    @Test("frames.keyframes prefers the sharp candidate over blurred ones")
    func framesKeyframesSharpest() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("blur.mp4")
        // 3 s of testsrc2, blurred except around 1.5 s (the 50 % candidate of the one shot).
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3,boxblur=6:enable='not(between(t,1.4,1.6))'",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"], output: clip)
        let shots = [ShotSpan(index: 7, start: 0, end: 3)]
        guard case .frames(let stills)? = try StageDriver.run(
            FramesKeyframes.self, path: clip, upstream: ["s": .shots(shots)]).output else {
            Issue.record("no frames output")
            return
        }
        #expect(stills.count == 1)
        #expect(stills.first?.shotIndex == 7)
        #expect(abs((stills.first?.time ?? 0) - 1.5) <= 0.04 + 1e-9)
    }

    @Test("audio.segments on a WAV: silence 1 s, tone 2 s, silence 1.5 s, tone 1 s")
    func audioSegments() throws {
        let dir = try TemporaryDirectory()
        let wav = dir.path("speech.wav")
        let graph = "anullsrc=r=16000:cl=mono,atrim=duration=1[a];sine=f=300:r=16000:d=2[b];"
            + "anullsrc=r=16000:cl=mono,atrim=duration=1.5[c];sine=f=500:r=16000:d=1[d];[a][b][c][d]concat=n=4:v=0:a=1[out0]"
        try ffmpeg(["-f", "lavfi", "-i", graph], output: wav)
        guard case .audioSegments(let segments)? = try StageDriver.run(AudioSegments.self, path: wav).output else {
            Issue.record("no segments output")
            return
        }
        #expect(segments.map(\.kind) == [.silence, .speech, .silence, .speech])
        let expected: [(Double, Double)] = [(0, 1), (1, 3), (3, 4.5), (4.5, 5.5)]
        for (segment, (start, end)) in zip(segments, expected) {
            #expect(abs(segment.start - start) <= 0.05 && abs(segment.end - end) <= 0.05, "\(segment)")
        }
        #expect(segments.first?.loudnessDB == -120)
    }

    @Test("video stages skip files without video, audio.segments files without audio")
    func skips() throws {
        let dir = try TemporaryDirectory()
        let silentVideo = dir.path("video.mp4")
        try MediaFixture.h264AAC(at: silentVideo, seconds: 1, audio: false)
        #expect(try StageDriver.run(AudioSegments.self, path: silentVideo).skipReason == "no audio stream")
        let audioOnly = dir.path("audio.m4a")
        try MediaFixture.sineM4A(at: audioOnly, seconds: 1)
        #expect(try StageDriver.run(ShotsDetect.self, path: audioOnly).skipReason == "no video stream")
        #expect(try StageDriver.run(FramesSample.self, path: audioOnly).skipReason == "no video stream")
    }
}
