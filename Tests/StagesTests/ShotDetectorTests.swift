import Foundation
import MediaIO
import Testing
import TestSupport
@testable import Stages

@Suite("ShotDetector")
struct ShotDetectorTests {
    static let width = 128, height = 96, fps = 25
    static let frameDuration = 1.0 / Double(fps)

    func detect(_ frames: [VideoFrame], _ configure: (inout ShotDetector.Settings) -> Void = { _ in }) -> [ShotSpan] {
        var settings = ShotDetector.Settings()
        configure(&settings)
        var detector = ShotDetector(settings: settings)
        for frame in frames { detector.process(time: frame.time, frame: frame) }
        return detector.finish(endTime: Double(frames.count) * Self.frameDuration)
    }

    func render(_ graph: String, _ dir: TemporaryDirectory) throws -> [VideoFrame] {
        try RawClipFrames.render(lavfi: graph, width: Self.width, height: Self.height, fps: Self.fps, in: dir)
    }

    @Test("hard cuts between different sources are found within one frame", arguments: [ShotDetector.Mode.content, .adaptive])
    func hardCuts(mode: ShotDetector.Mode) throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("cuts.mp4")
        try RawClipFrames.hardCutClip(at: clip, shots: 4, shotSeconds: 1.6)
        let frames = try RawClipFrames.decode(file: clip, width: Self.width, height: Self.height, fps: Self.fps, in: dir)
        #expect(frames.count == 160)
        let shots = detect(frames) { $0.mode = mode }
        #expect(shots.count == 4)
        for (k, shot) in shots.enumerated() {
            #expect(shot.index == k)
            #expect(abs(shot.start - Double(k) * 1.6) <= Self.frameDuration + 1e-9, "shot \(k) starts at \(shot.start)")
        }
        #expect(shots.first?.start == 0)
        #expect(abs((shots.last?.end ?? 0) - 6.4) < 1e-9)
    }

    @Test("a fade through black is one cut inside the fade, and none without gradual", arguments: [ShotDetector.Mode.content, .adaptive])
    func fadeOutIn(mode: ShotDetector.Mode) throws {
        let dir = try TemporaryDirectory()
        let frames = try render(
            "testsrc2=size=320x240:rate=25:duration=2,fade=t=out:st=1.5:d=0.4[a];"
                + "smptebars=size=320x240:rate=25:duration=2,fade=t=in:st=0:d=0.4[b];[a][b]concat=n=2:v=1:a=0[out0]", dir)
        #expect(frames.count == 100)
        let shots = detect(frames) { $0.mode = mode }
        #expect(shots.count == 2)
        let cut = shots.last?.start ?? 0
        #expect(cut >= 1.5 - Self.frameDuration && cut <= 2.4 + Self.frameDuration, "cut at \(cut)")
        #expect(detect(frames) { $0.mode = mode; $0.gradual = false }.count == 1)
    }

    @Test("a cross dissolve is one cut inside the dissolve, and none without gradual")
    func crossDissolve() throws {
        let dir = try TemporaryDirectory()
        let frames = try render(
            "testsrc2=size=320x240:rate=25:duration=3[a];smptebars=size=320x240:rate=25:duration=3[b];"
                + "[a][b]xfade=transition=fade:duration=1:offset=1.5[out0]", dir)
        #expect(frames.count > 100)
        let shots = detect(frames)
        #expect(shots.count == 2)
        let cut = shots.last?.start ?? 0
        #expect(cut >= 1.5 - Self.frameDuration && cut <= 2.5 + Self.frameDuration, "cut at \(cut)")
        #expect(detect(frames) { $0.gradual = false }.count == 1)
    }

    @Test("steady fast change (scrolling, a colour-cycling gradient) adds no gradual cuts")
    func steadyChangeIsNotGradual() throws {
        let dir = try TemporaryDirectory()
        for graph in ["testsrc2=size=320x240:rate=25:duration=6,scroll=horizontal=0.04",
                      "gradients=size=320x240:rate=25:duration=6:speed=0.08:c0=#ff2020:c1=#2020ff:c2=#20ff20:nb_colors=3:seed=4"] {
            let frames = try render(graph, dir)
            #expect(frames.count == 150)
            #expect(detect(frames).map(\.start) == detect(frames) { $0.gradual = false }.map(\.start), "\(graph)")
        }
    }

    @Test("a two-frame white flash in a fast-scrolling shot is not a cut")
    func flashInMotion() throws {
        let dir = try TemporaryDirectory()
        let frames = try render(
            "testsrc2=size=320x240:rate=25:duration=3,scroll=horizontal=0.04,"
                + "drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(n,50,51)'", dir)
        #expect(frames.count == 75)
        let flash = 50 * Self.frameDuration
        func cutNearFlash(_ shots: [ShotSpan]) -> Bool {
            shots.dropFirst().contains { abs($0.start - flash) <= 2 * Self.frameDuration }
        }
        #expect(!cutNearFlash(detect(frames) { $0.minLength = 0.2 }))
        #expect(cutNearFlash(detect(frames) { $0.minLength = 0.2; $0.flashFilter = false }))
    }

    @Test("a two-frame white flash is a cut only without the flash filter")
    func whiteFlash() throws {
        let dir = try TemporaryDirectory()
        let frames = try render(
            "testsrc2=size=320x240:rate=25:duration=3,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(n,37,38)'", dir)
        #expect(frames.count == 75)
        #expect(detect(frames).count == 1)
        let unfiltered = detect(frames) { $0.flashFilter = false }
        #expect(unfiltered.count == 2)
        #expect(abs((unfiltered.last?.start ?? 0) - 37 * Self.frameDuration) < 1e-9)
    }

    @Test("fast scrolling motion is not a cut in adaptive mode")
    func fastMotion() throws {
        let dir = try TemporaryDirectory()
        let frames = try render("testsrc2=size=320x240:rate=25:duration=4,scroll=horizontal=0.04", dir)
        #expect(frames.count == 100)
        #expect(detect(frames) { $0.mode = .adaptive }.count == 1)
        // The same motion does trip a content threshold set low enough: the test is not vacuous.
        #expect(detect(frames) { $0.threshold = 15; $0.minLength = 0.2 }.count > 1)
    }

    @Test("no shot is shorter than min_length")
    func minLength() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("short-shots.mp4")
        try RawClipFrames.hardCutClip(at: clip, shots: 5, shotSeconds: 0.6)
        let frames = try RawClipFrames.decode(file: clip, width: Self.width, height: Self.height, fps: Self.fps, in: dir)
        let every = detect(frames) { $0.minLength = 0 }
        #expect(every.count == 5)
        let limited = detect(frames) { $0.minLength = 1 }
        #expect(limited.count == 2)  // 0.6 and 1.8 come too early; 2.4 would leave a 0.6 s tail, so it is merged
        for shot in limited { #expect(shot.end - shot.start >= 1 - 1e-9) }
        #expect(abs((limited.dropFirst().first?.start ?? 0) - 1.2) <= Self.frameDuration + 1e-9)
    }

    @Test("synthetic: identical frames give one shot, a colour change gives a cut at the new frame's time")
    func synthetic() {
        let red = RawClipFrames.synthetic(width: 32, height: 24) { _, _ in (200, 30, 30) }
        let blue = RawClipFrames.synthetic(width: 32, height: 24) { _, _ in (30, 30, 200) }
        var frames: [VideoFrame] = []
        for i in 0..<60 {
            var f = i < 30 ? red : blue
            f.time = Double(i) * Self.frameDuration
            f.index = i
            frames.append(f)
        }
        let shots = detect(frames)
        #expect(shots == [ShotSpan(index: 0, start: 0, end: 1.2), ShotSpan(index: 1, start: 1.2, end: 2.4)])
        #expect(detect(Array(frames.prefix(30))).count == 1)
    }
}
