import MediaIO
import Testing
import TestSupport

/// Every sampling policy on a 5 s, 25 fps H.264 clip with a keyframe every second.
@Suite struct SamplingPolicyTests {
    static let frameDuration = 1.0 / 25

    private func clip(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 5, gop: 25, audio: false)
        return path
    }

    @Test func everyFrameDeliversAllFramesInOrder() throws {
        let dir = try TemporaryDirectory()
        let (frames, report) = try collectFrames(try clip(dir), [FrameRequest(policy: .everyFrame, maxWidth: 64)])
        #expect(frames[0].count == 125)
        #expect(report.decodedFrames == 125 && report.deliveredFrames == 125)
        #expect(report.warnings.isEmpty)
        #expect(frames[0].map(\.index) == Array(0..<125))
        for (i, frame) in frames[0].enumerated() {
            #expect(abs(frame.time - Double(i) * Self.frameDuration) < 0.001)
            #expect(frame.targetTime == nil)
        }
    }

    @Test func intervalOneSecond() throws {
        let dir = try TemporaryDirectory()
        let (frames, _) = try collectFrames(try clip(dir), [FrameRequest(policy: .interval(seconds: 1), maxWidth: 64)])
        #expect(frames[0].map(\.targetTime) == [0, 1, 2, 3, 4])
        for frame in frames[0] {
            #expect(abs(frame.time - frame.targetTime!) < Self.frameDuration)
        }
    }

    @Test func twoFramesPerSecond() throws {
        let dir = try TemporaryDirectory()
        let (frames, _) = try collectFrames(try clip(dir), [FrameRequest(policy: .fps(2), maxWidth: 64)])
        #expect(frames[0].count == 10)
        for (i, frame) in frames[0].enumerated() {
            #expect(abs(frame.targetTime! - Double(i) * 0.5) < 1e-9)
            #expect(abs(frame.time - Double(i) * 0.5) < Self.frameDuration)
        }
    }

    @Test func timestampsAreSortedDeduplicatedAndHitWithinHalfAFrame() throws {
        let dir = try TemporaryDirectory()
        let request = FrameRequest(policy: .timestamps([3.96, 0.5, 2.0, 0.5, 99]), maxWidth: 64)
        let (frames, _) = try collectFrames(try clip(dir), [request])
        #expect(frames[0].map(\.targetTime) == [0.5, 2.0, 3.96])
        for frame in frames[0] {
            #expect(abs(frame.time - frame.targetTime!) <= Self.frameDuration / 2 + 1e-6)
        }
    }

    @Test func severalTargetsOnOneFrame() throws {
        let dir = try TemporaryDirectory()
        let request = FrameRequest(policy: .timestamps([1.0, 1.001, 1.01]), maxWidth: 64)
        let (frames, report) = try collectFrames(try clip(dir), [request])
        #expect(frames[0].map(\.targetTime) == [1.0, 1.001, 1.01])
        #expect(Set(frames[0].map(\.time)).count == 1)
        #expect(report.deliveredFrames == 3)
    }

    @Test func keyframesOnlyGivesOneFramePerSecond() throws {
        let dir = try TemporaryDirectory()
        let (frames, report) = try collectFrames(try clip(dir), [FrameRequest(policy: .keyframesOnly, maxWidth: 64)])
        #expect(frames[0].count == 5)
        #expect(frames[0].allSatisfy { $0.isKeyframe })
        for (i, frame) in frames[0].enumerated() {
            #expect(abs(frame.time - Double(i)) < 0.001)
        }
        // skip_frame drops the non-key frames inside the decoder.
        #expect(report.decodedFrames == 5)
    }

    @Test func mixedRequestsShareOneForwardPass() throws {
        let dir = try TemporaryDirectory()
        let requests = [FrameRequest(policy: .everyFrame, maxWidth: 32, layout: .gray8),
                        FrameRequest(policy: .keyframesOnly, maxWidth: 64),
                        FrameRequest(policy: .interval(seconds: 2), maxWidth: 64)]
        let (frames, report) = try collectFrames(try clip(dir), requests)
        #expect(frames[0].count == 125)
        #expect(frames[1].map { $0.time.rounded() } == [0, 1, 2, 3, 4])
        #expect(frames[2].map(\.targetTime) == [0, 2, 4])
        #expect(report.seeks == 0)
        #expect(report.decodedFrames == 125)
        #expect(report.deliveredFrames == 125 + 5 + 3)
    }

    @Test func cancellationStopsBetweenPackets() throws {
        let dir = try TemporaryDirectory()
        let pass = try VideoPass(path: try clip(dir))
        var delivered = 0
        let report = try pass.run([FrameRequest(policy: .everyFrame, maxWidth: 32)],
                                  shouldStop: { delivered >= 10 }) { _, _ in delivered += 1 }
        #expect(delivered >= 10 && delivered < 40)
        #expect(report.deliveredFrames == delivered)
    }

    @Test func aPassCanRunAgainFromTheStart() throws {
        let dir = try TemporaryDirectory()
        let pass = try VideoPass(path: try clip(dir))
        var first: [Double] = [], second: [Double] = []
        _ = try pass.run([FrameRequest(policy: .everyFrame, maxWidth: 32)]) { _, frame in first.append(frame.time) }
        _ = try pass.run([FrameRequest(policy: .keyframesOnly, maxWidth: 32)]) { _, frame in second.append(frame.time) }
        #expect(first.count == 125)
        #expect(second.map { $0.rounded() } == [0, 1, 2, 3, 4])
    }
}
