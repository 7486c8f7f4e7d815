import MediaIO

/// Turns a decoded thumbnail into a stored still: its pHash and its JPEG bytes. Owns one
/// `JPEGEncoder`; not Sendable, used by one sink on its serial queue.
final class StillFrameEncoder {
    private let jpeg: JPEGEncoder

    init(quality: Int) throws {
        jpeg = try JPEGEncoder(quality: quality)
    }

    func still(from frame: VideoFrame, shotIndex: Int?) throws -> SampledFrame {
        SampledFrame(time: frame.time, shotIndex: shotIndex, phash: PerceptualHash.hash(frame),
                     width: frame.width, height: frame.height, jpeg: try jpeg.encode(frame))
    }
}
