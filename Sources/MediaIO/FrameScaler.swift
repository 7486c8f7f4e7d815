internal import CFFmpeg

/// Turns decoded frames into one request's VideoFrames: scales with swscale into the request's packed
/// layout (fitting maxWidth x maxHeight, keeping the display aspect, never upscaling), then rotates the
/// pixels upright. Owns its cached SwsContext. Not Sendable: used by one pass on one thread.
final class FrameScaler {
    private let request: FrameRequest
    /// Clockwise quarter turn applied after scaling (0, 90, 180, 270).
    private let rotation: Int
    private let path: String
    private var context: OpaquePointer? = nil
    /// Scaled but not yet rotated pixels; reused between frames when a rotation is needed.
    private var unrotated: [UInt8] = []
    private lazy var areaDownscaler = AreaDownscaler()

    init(request: FrameRequest, rotation: Int, path: String) {
        self.request = request
        self.rotation = rotation
        self.path = path
    }

    deinit {
        sws_freeContext(context)
    }

    private var quarterTurn: Bool { rotation == 90 || rotation == 270 }

    /// Output size after rotation for a source frame of `width` x `height` with sample aspect ratio `sar`.
    static func outputSize(width: Int, height: Int, sar: Double, rotation: Int, maxWidth: Int,
                           maxHeight: Int) -> (width: Int, height: Int) {
        let displayWidth = Double(width) * (sar > 0 ? sar : 1)
        let displayHeight = Double(height)
        let quarterTurn = rotation == 90 || rotation == 270
        let (w, h) = quarterTurn ? (displayHeight, displayWidth) : (displayWidth, displayHeight)
        var scale = 1.0
        if maxWidth > 0 { scale = min(scale, Double(maxWidth) / w) }
        if maxHeight > 0 { scale = min(scale, Double(maxHeight) / h) }
        return (max(1, Int((w * scale).rounded())), max(1, Int((h * scale).rounded())))
    }

    func makeFrame(from frame: UnsafeMutablePointer<AVFrame>, time: Double, targetTime: Double?, index: Int,
                   isKeyframe: Bool) throws -> VideoFrame {
        let srcWidth = Int(frame.pointee.width), srcHeight = Int(frame.pointee.height)
        let sar = FFmpegLibrary.double(frame.pointee.sample_aspect_ratio)
        let (outWidth, outHeight) = request.exactSize && request.maxWidth > 0 && request.maxHeight > 0
            ? (request.maxWidth, request.maxHeight)
            : FrameScaler.outputSize(width: srcWidth, height: srcHeight, sar: sar, rotation: rotation,
                                     maxWidth: request.maxWidth, maxHeight: request.maxHeight)
        // The scaler works before rotation, so a quarter turn swaps its output sides.
        let (scaledWidth, scaledHeight) = quarterTurn ? (outHeight, outWidth) : (outWidth, outHeight)
        let bytesPerPixel = request.layout.bytesPerPixel
        let byteCount = scaledWidth * scaledHeight * bytesPerPixel
        if request.filter == .area,
           AreaDownscaler.supports(format: frame.pointee.format, width: srcWidth, height: srcHeight,
                                   outWidth: scaledWidth, outHeight: scaledHeight) {
            let scale = { (buffer: UnsafeMutablePointer<UInt8>) in
                self.areaDownscaler.convert(frame, outWidth: scaledWidth, outHeight: scaledHeight,
                                            layout: self.request.layout, into: buffer)
            }
            return VideoFrame(time: time, targetTime: targetTime, index: index, isKeyframe: isKeyframe,
                              width: outWidth, height: outHeight, layout: request.layout,
                              pixels: pack(byteCount: byteCount, width: scaledWidth, height: scaledHeight, scale))
        }
        // Not SWS_FAST_BILINEAR, even for small analysis frames: its 2-tap filter ignores most source
        // pixels when shrinking a lot, so fine moving texture aliases into large frame-to-frame
        // differences (false shot cuts on the bench corpus); SWS_BILINEAR widens its filter to the ratio.
        let flags = SWS_BILINEAR
        context = sws_getCachedContext(context, Int32(srcWidth), Int32(srcHeight),
                                       AVPixelFormat(rawValue: frame.pointee.format),
                                       Int32(scaledWidth), Int32(scaledHeight),
                                       request.layout == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8,
                                       flags, nil, nil, nil)
        guard let sws = context else {
            throw MediaError(code: 0, operation: "scale frame", path: path,
                             message: "swscale cannot convert \(srcWidth)x\(srcHeight) pixel format \(frame.pointee.format)")
        }
        let stride = Int32(scaledWidth * bytesPerPixel)
        let pixels = pack(byteCount: byteCount, width: scaledWidth, height: scaledHeight) { buffer in
            _ = vp_sws_scale_packed(sws, frame, buffer, stride)
        }
        return VideoFrame(time: time, targetTime: targetTime, index: index, isKeyframe: isKeyframe,
                          width: outWidth, height: outHeight, layout: request.layout, pixels: pixels)
    }

    /// Runs `scale` (which writes `byteCount` packed bytes of a `width` x `height` image) into a new
    /// pixel array, through the reused unrotated buffer when the frame must be turned upright.
    private func pack(byteCount: Int, width: Int, height: Int,
                      _ scale: (UnsafeMutablePointer<UInt8>) -> Void) -> [UInt8] {
        if rotation == 0 {
            return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, count in
                scale(buffer.baseAddress!)
                count = byteCount
            }
        }
        if unrotated.count != byteCount { unrotated = [UInt8](repeating: 0, count: byteCount) }
        unrotated.withUnsafeMutableBufferPointer { scale($0.baseAddress!) }
        return PixelRotation.rotate(unrotated, width: width, height: height,
                                    bytesPerPixel: request.layout.bytesPerPixel, clockwise: rotation)
    }
}
