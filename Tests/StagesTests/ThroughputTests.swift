import Foundation
import MediaIO
import Testing
@testable import Stages

/// Loose speed guards (debug build) that also print the measured figures.
@Suite("Throughput")
struct ThroughputTests {
    @Test("ShotDetector, pHash and Sharpness per-frame cost")
    func perFrameCost() {
        let a = RawClipFrames.synthetic(width: 128, height: 72) { x, y in (UInt8(x * 2), UInt8(y * 3), UInt8((x ^ y) & 255)) }
        let b = RawClipFrames.synthetic(width: 128, height: 72) { x, y in (UInt8(y * 3), UInt8(x), UInt8((x + y) & 255)) }
        let clock = ContinuousClock()
        var detector = ShotDetector()
        let frames = 1_000
        let detect = clock.measure {
            for i in 0..<frames {
                detector.process(time: Double(i) / 25, frame: (i / 50) % 2 == 0 ? a : b)
            }
        }
        #expect(detector.finish(endTime: Double(frames) / 25).count == 20)
        let thumb = RawClipFrames.synthetic(width: 320, height: 180) { x, y in (UInt8(x & 255), UInt8(y), UInt8((x * y) & 255)) }
        var hash: UInt64 = 0
        let phash = clock.measure { for _ in 0..<200 { hash ^= PerceptualHash.hash(thumb) } }
        var total = 0.0
        let sharp = clock.measure { for _ in 0..<200 { total += Sharpness.laplacianVariance(thumb) } }
        let perDetect = detect / frames, perHash = phash / 200, perSharp = sharp / 200
        print("ShotDetector 128x72: \(perDetect) per frame; pHash 320x180: \(perHash); Sharpness 320x180: \(perSharp)")
        #expect(perDetect < .milliseconds(5))
        #expect(perHash < .milliseconds(20))
        #expect(hash == 0)  // an even number of XORs of the same hash
        #expect(total > 0)
    }
}
