internal import CFFmpeg

/// swresample from a decoder's native audio to mono float32 at a fixed rate. Owns its SwrContext and a
/// reusable output buffer. Not Sendable: used by one pass on one thread.
final class AudioResampler {
    let outputRate: Int32
    private var context: OpaquePointer?
    private var buffer: [Float] = []

    init(codec: UnsafeMutablePointer<AVCodecContext>, outputRate: Int32, path: String) throws {
        self.outputRate = outputRate
        var ctx: OpaquePointer? = nil
        var outLayout = vp_channel_layout_mono()
        var code = withUnsafeMutablePointer(to: &codec.pointee.ch_layout) { inLayout in
            swr_alloc_set_opts2(&ctx, &outLayout, AV_SAMPLE_FMT_FLT, outputRate,
                                inLayout, codec.pointee.sample_fmt, codec.pointee.sample_rate, 0, nil)
        }
        if code >= 0 { code = swr_init(ctx) }
        guard code >= 0, ctx != nil else {
            swr_free(&ctx)
            throw MediaError(code: code < 0 ? code : vp_averror_enomem(), operation: "open resampler", path: path)
        }
        context = ctx
    }

    deinit {
        swr_free(&context)
    }

    /// Converts `frame` (nil flushes what the resampler still holds) and passes the produced samples to `body`.
    func convert(_ frame: UnsafePointer<AVFrame>?, path: String, _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let inCount = frame.map { Int32($0.pointee.nb_samples) } ?? 0
        let capacity = Int(swr_get_out_samples(context, inCount)) + 32
        if buffer.count < capacity { buffer = [Float](repeating: 0, count: capacity) }
        let produced = buffer.withUnsafeMutableBytes { raw in
            vp_swr_convert_frame(context, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(capacity), frame)
        }
        if produced < 0 {
            throw MediaError(code: produced, operation: "resample audio", path: path)
        }
        try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<Int(produced)])) }
    }
}
