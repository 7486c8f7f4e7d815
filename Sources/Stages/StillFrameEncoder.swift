import MediaIO

/// Turns a decoded thumbnail into a stored still: its pHash and its JPEG bytes. Owns one
/// `JPEGEncoder`; not Sendable, used by one sink on its serial queue.
final class StillFrameEncoder {
    private let quality: Int
    private var jpeg: JPEGEncoder

    init(quality: Int) throws {
        self.quality = quality
        jpeg = try JPEGEncoder(quality: quality)
    }

    func still(from frame: VideoFrame, shotIndex: Int?) throws -> SampledFrame {
        SampledFrame(time: frame.time, shotIndex: shotIndex, phash: PerceptualHash.hash(frame),
                     width: frame.width, height: frame.height, jpeg: try encode(frame))
    }

    private func encode(_ frame: VideoFrame) throws -> [UInt8] {
        do {
            return try jpeg.encode(frame)
        } catch {
            // Workaround: media's JPEGEncoder (as merged) fails the second frame of the same size
            // (AVERROR -1, it sends pts 0 every time). A fresh encoder encodes it; a real failure
            // fails again and is thrown. Remove once JPEGEncoder encodes repeated frames.
            jpeg = try JPEGEncoder(quality: quality)
            return try jpeg.encode(frame)
        }
    }
}
