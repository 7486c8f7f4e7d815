internal import CFFmpeg

/// Encodes frames as baseline JPEG (JFIF) with libavcodec's MJPEG encoder. Owns the encoder context,
/// the YUVJ420P staging frame and the swscale context; all are rebuilt when the frame size changes.
/// Not Sendable: one encoder per thread.
public final class JPEGEncoder {
    private let qscale: Int32
    private let codec: UnsafePointer<AVCodec>
    private var context: UnsafeMutablePointer<AVCodecContext>? = nil
    private var staging: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var scaler: OpaquePointer? = nil
    private var size: (width: Int, height: Int) = (0, 0)
    /// Frames sent to the current encoder context; each frame gets its own pts.
    private var sent: Int64 = 0

    /// quality 1...100 (maps to the MJPEG encoder's qscale 31...2).
    public init(quality: Int = 80) throws {
        FFmpegLibrary.prepare()
        let clamped = Double(min(100, max(1, quality)))
        qscale = Int32((31 - (clamped - 1) * 29 / 99).rounded())
        guard let mjpeg = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else {
            throw MediaError(code: 0, operation: "find JPEG encoder", path: "", message: "libavcodec has no MJPEG encoder")
        }
        codec = mjpeg
        staging = av_frame_alloc()
        packet = av_packet_alloc()
        guard staging != nil, packet != nil else {
            throw MediaError(code: vp_averror_enomem(), operation: "allocate JPEG encoder", path: "")
        }
    }

    deinit {
        avcodec_free_context(&context)
        av_frame_free(&staging)
        av_packet_free(&packet)
        sws_freeContext(scaler)
    }

    /// Encodes an rgb24 or gray8 VideoFrame (converted to YUVJ420P with swscale). Returns JFIF bytes (FF D8 ... FF D9).
    public func encode(_ frame: VideoFrame) throws -> [UInt8] {
        guard frame.width > 0, frame.height > 0, frame.pixels.count >= frame.bytesPerRow * frame.height else {
            throw MediaError(code: 0, operation: "encode JPEG", path: "",
                             message: "frame of \(frame.width)x\(frame.height) has \(frame.pixels.count) bytes")
        }
        try prepare(width: frame.width, height: frame.height)
        let staging = staging!, packet = packet!, context = context!
        var code = av_frame_make_writable(staging)
        guard code >= 0 else { throw MediaError(code: code, operation: "encode JPEG", path: "") }
        scaler = sws_getCachedContext(scaler, Int32(frame.width), Int32(frame.height),
                                      frame.layout == .rgb24 ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GRAY8,
                                      Int32(frame.width), Int32(frame.height), AV_PIX_FMT_YUVJ420P,
                                      SWS_BICUBIC, nil, nil, nil)
        guard let scaler else {
            throw MediaError(code: 0, operation: "encode JPEG", path: "", message: "swscale cannot convert \(frame.layout)")
        }
        frame.pixels.withUnsafeBufferPointer { pixels in
            _ = vp_sws_scale_from_packed(scaler, pixels.baseAddress, Int32(frame.bytesPerRow), Int32(frame.height), staging)
        }
        staging.pointee.quality = context.pointee.global_quality
        staging.pointee.pts = sent
        sent += 1
        code = avcodec_send_frame(context, staging)
        guard code >= 0 else { throw MediaError(code: code, operation: "encode JPEG", path: "") }
        code = avcodec_receive_packet(context, packet)
        guard code >= 0 else { throw MediaError(code: code, operation: "encode JPEG", path: "") }
        defer { av_packet_unref(packet) }
        return [UInt8](UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
    }

    /// (Re)opens the encoder and the staging frame for `width` x `height`.
    private func prepare(width: Int, height: Int) throws {
        if context != nil && size == (width, height) { return }
        avcodec_free_context(&context)
        av_frame_unref(staging)
        guard let ctx = avcodec_alloc_context3(codec) else {
            throw MediaError(code: vp_averror_enomem(), operation: "allocate JPEG encoder", path: "")
        }
        context = ctx
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = AV_PIX_FMT_YUVJ420P
        ctx.pointee.color_range = AVCOL_RANGE_JPEG
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        ctx.pointee.flags |= AV_CODEC_FLAG_QSCALE
        ctx.pointee.global_quality = FF_QP2LAMBDA * qscale
        var code = avcodec_open2(ctx, codec, nil)
        guard code >= 0 else {
            avcodec_free_context(&context)
            throw MediaError(code: code, operation: "open JPEG encoder", path: "")
        }
        let staging = staging!
        staging.pointee.width = Int32(width)
        staging.pointee.height = Int32(height)
        staging.pointee.format = AV_PIX_FMT_YUVJ420P.rawValue
        code = av_frame_get_buffer(staging, 0)
        guard code >= 0 else {
            avcodec_free_context(&context)
            throw MediaError(code: code, operation: "allocate JPEG frame", path: "")
        }
        size = (width, height)
        sent = 0
    }
}
