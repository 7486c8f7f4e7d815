import Foundation
import MediaIO
import TestSupport

/// Test media made with the ffmpeg CLI and read back as raw rgb24 frames, so detector tests do
/// not depend on the decoder under test elsewhere.
enum RawClipFrames {
    /// Renders a lavfi filter graph (`-f lavfi -i GRAPH`) at `fps` into raw rgb24 frames of width × height.
    static func render(lavfi graph: String, width: Int, height: Int, fps: Int, in dir: TemporaryDirectory,
                       name: String = UUID().uuidString) throws -> [VideoFrame] {
        let out = dir.path("\(name).rgb")
        try ffmpeg(["-f", "lavfi", "-i", graph, "-vf", "scale=\(width):\(height),fps=\(fps)",
                    "-pix_fmt", "rgb24", "-f", "rawvideo"], output: out)
        return try read(out, width: width, height: height, fps: fps)
    }

    /// Decodes a media file into raw rgb24 frames of width × height at `fps`.
    static func decode(file: String, width: Int, height: Int, fps: Int, in dir: TemporaryDirectory) throws -> [VideoFrame] {
        let out = dir.path("\(UUID().uuidString).rgb")
        try ffmpeg(["-i", file, "-vf", "scale=\(width):\(height)", "-pix_fmt", "rgb24", "-f", "rawvideo"], output: out)
        return try read(out, width: width, height: height, fps: fps)
    }

    /// An H.264 clip of hard-cut shots, each a different lavfi pattern, so cuts are at k × shotSeconds.
    /// (Like `Fixture.hardCuts`, whose third source, mandelbrot, has no `duration` option in FFmpeg 5.1,
    /// so it fails for three or more shots: here every source is cut with `trim` instead.)
    static func hardCutClip(at path: String, shots: Int, shotSeconds: Double) throws {
        let sources = ["testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "testsrc", "yuvtestsrc"]
        let chains = (0..<shots).map { i in
            "\(sources[i % sources.count])=size=320x240:rate=25,trim=duration=\(shotSeconds),setpts=PTS-STARTPTS[s\(i)]"
        }
        let graph = chains.joined(separator: ";") + ";" + (0..<shots).map { "[s\($0)]" }.joined()
            + "concat=n=\(shots):v=1:a=0[out0]"
        try ffmpeg(["-f", "lavfi", "-i", graph, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
                   output: path)
    }

    static func read(_ path: String, width: Int, height: Int, fps: Int) throws -> [VideoFrame] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let frameSize = width * height * 3
        return (0..<(bytes.count / frameSize)).map { i in
            VideoFrame(time: Double(i) / Double(fps), index: i, isKeyframe: i == 0, width: width, height: height,
                       layout: .rgb24, pixels: Array(bytes[(i * frameSize)..<((i + 1) * frameSize)]))
        }
    }

    /// A solid or patterned synthetic frame.
    static func synthetic(width: Int, height: Int, time: Double = 0, index: Int = 0,
                          pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) -> VideoFrame {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = pixel(x, y)
                let i = (y * width + x) * 3
                pixels[i] = r
                pixels[i + 1] = g
                pixels[i + 2] = b
            }
        }
        return VideoFrame(time: time, index: index, isKeyframe: false, width: width, height: height,
                          layout: .rgb24, pixels: pixels)
    }
}
