import Foundation
import MediaIO
import Testing
import TestSupport

@Suite struct JPEGEncoderTests {
    @Test(arguments: [PixelLayout.rgb24, .gray8])
    func encodesReadableJPEG(layout: PixelLayout) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 1, audio: false)
        let (frames, _) = try collectFrames(path, [FrameRequest(policy: .timestamps([0.5]), maxWidth: 160,
                                                                layout: layout)])
        let frame = try #require(frames[0].first)
        let encoder = try JPEGEncoder(quality: 80)
        let jpeg = try encoder.encode(frame)
        #expect(jpeg.count > 500)
        #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8])
        #expect(Array(jpeg.suffix(2)) == [0xFF, 0xD9])
        let out = dir.path("frame.jpg")
        try Data(jpeg).write(to: URL(fileURLWithPath: out))
        let probed = try runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height",
                                                "-of", "csv=p=0", out])
        #expect(probed.trimmingCharacters(in: .whitespacesAndNewlines) == "mjpeg,160,120")

        // The encoder adapts to another size, and lower quality gives fewer bytes.
        let tiny = VideoFrame(time: 0, index: 0, isKeyframe: true, width: 33, height: 17, layout: layout,
                              pixels: [UInt8](repeating: 128, count: 33 * 17 * layout.bytesPerPixel))
        let tinyJPEG = try encoder.encode(tiny)
        #expect(Array(tinyJPEG.prefix(2)) == [0xFF, 0xD8])
        let rough = try JPEGEncoder(quality: 5).encode(frame)
        #expect(rough.count < jpeg.count)
    }

    @Test func encodesManyFramesOfTheSameSize() throws {
        let encoder = try JPEGEncoder(quality: 75)
        var sizes: [Int] = []
        for shade in stride(from: 0, to: 250, by: 50) {
            let frame = VideoFrame(time: Double(shade), index: shade, isKeyframe: true, width: 64, height: 48, layout: .rgb24,
                                   pixels: (0..<(64 * 48 * 3)).map { UInt8(($0 / 3 + shade) % 256) })
            let jpeg = try encoder.encode(frame)
            #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8])
            sizes.append(jpeg.count)
        }
        #expect(sizes.count == 5)
    }

    @Test func rejectsFrameWithTooFewBytes() throws {
        let frame = VideoFrame(time: 0, index: 0, isKeyframe: true, width: 10, height: 10, layout: .rgb24,
                               pixels: [UInt8](repeating: 0, count: 10))
        #expect(throws: MediaError.self) { try JPEGEncoder().encode(frame) }
    }
}
