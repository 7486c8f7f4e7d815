import Foundation
import MediaIO
import Testing
import TestSupport
@testable import Stages

@Suite("PerceptualHash and Sharpness")
struct FrameMeasureTests {
    static let width = 256, height = 192

    /// Frames 0 of testsrc2 and its variants, rendered by ffmpeg.
    func still(_ graph: String, _ dir: TemporaryDirectory) throws -> VideoFrame {
        let frames = try RawClipFrames.render(lavfi: graph, width: Self.width, height: Self.height, fps: 25, in: dir)
        return try #require(frames.first)
    }

    @Test("pHash: identical 0, brightened or noised small, different patterns large")
    func perceptualHash() throws {
        let dir = try TemporaryDirectory()
        let base = try still("testsrc2=size=320x240:rate=25:duration=0.04", dir)
        let brighter = try still("testsrc2=size=320x240:rate=25:duration=0.04,eq=brightness=0.06", dir)
        let noisy = try still("testsrc2=size=320x240:rate=25:duration=0.04,noise=alls=12:allf=u", dir)
        let bars = try still("smptebars=size=320x240:rate=25:duration=0.04", dir)
        let mandelbrot = try still("mandelbrot=size=320x240:rate=25,trim=duration=0.04", dir)

        let h = PerceptualHash.hash(base)
        #expect(PerceptualHash.hash(base) == h)
        #expect(PerceptualHash.hammingDistance(h, h) == 0)
        let dBright = PerceptualHash.hammingDistance(h, PerceptualHash.hash(brighter))
        let dNoise = PerceptualHash.hammingDistance(h, PerceptualHash.hash(noisy))
        let dBars = PerceptualHash.hammingDistance(h, PerceptualHash.hash(bars))
        let dMandel = PerceptualHash.hammingDistance(h, PerceptualHash.hash(mandelbrot))
        #expect(dBright <= 10, "brightened: \(dBright)")
        #expect(dNoise <= 10, "noised: \(dNoise)")
        #expect(dBars >= 20, "smptebars: \(dBars)")
        #expect(dMandel >= 20, "mandelbrot: \(dMandel)")
        // About half the bits are set: the median threshold splits the coefficients.
        #expect((20...44).contains(h.nonzeroBitCount))
    }

    @Test("pHash: gray8 and rgb24 of the same picture agree, downscaled copies are near")
    func perceptualHashLayouts() throws {
        let dir = try TemporaryDirectory()
        let rgb = try still("testsrc2=size=320x240:rate=25:duration=0.04", dir)
        var gray = rgb
        gray.layout = .gray8
        gray.pixels = stride(from: 0, to: rgb.pixels.count, by: 3).map { (i: Int) -> UInt8 in
            let r: Int = 299 * Int(rgb.pixels[i])
            let g: Int = 587 * Int(rgb.pixels[i + 1])
            let b: Int = 114 * Int(rgb.pixels[i + 2])
            return UInt8((r + g + b) / 1000)
        }
        #expect(PerceptualHash.hammingDistance(PerceptualHash.hash(rgb), PerceptualHash.hash(gray)) <= 2)
        let small = try #require(RawClipFrames.render(lavfi: "testsrc2=size=320x240:rate=25:duration=0.04",
                                                      width: 96, height: 72, fps: 25, in: dir).first)
        #expect(PerceptualHash.hammingDistance(PerceptualHash.hash(rgb), PerceptualHash.hash(small)) <= 6)
    }

    @Test("pHash of a tiny or empty frame does not crash and is stable")
    func perceptualHashTiny() {
        let tiny = RawClipFrames.synthetic(width: 5, height: 3) { x, y in (UInt8(x * 40), UInt8(y * 60), 0) }
        #expect(PerceptualHash.hash(tiny) == PerceptualHash.hash(tiny))
        let empty = VideoFrame(time: 0, index: 0, isKeyframe: true, width: 0, height: 0, layout: .rgb24, pixels: [])
        #expect(PerceptualHash.hash(empty) == PerceptualHash.hash(empty))
    }

    @Test("Sharpness: a box-blurred frame scores lower than the sharp one; a flat frame scores 0")
    func sharpness() throws {
        let dir = try TemporaryDirectory()
        let sharp = try still("testsrc2=size=320x240:rate=25:duration=0.04", dir)
        let blurred = try still("testsrc2=size=320x240:rate=25:duration=0.04,boxblur=4", dir)
        let s = Sharpness.laplacianVariance(sharp), b = Sharpness.laplacianVariance(blurred)
        #expect(s > 0)
        #expect(b < s / 4, "sharp \(s), blurred \(b)")
        let flat = RawClipFrames.synthetic(width: 64, height: 48) { _, _ in (90, 120, 30) }
        #expect(Sharpness.laplacianVariance(flat) == 0)
    }
}
