internal import CFFmpeg

/// One stream of an InputFile with its opened decoder, plus the packet and frame reused for every read.
/// Owns the codec context, packet and frame and frees them in deinit. Not Sendable: used by one pass on
/// one thread.
final class StreamDecoder {
    enum ReadResult {
        case packet
        case endOfFile
        case failed(Int32)
    }

    let input: InputFile
    let streamIndex: Int
    let stream: UnsafeMutablePointer<AVStream>
    let codec: UnsafeMutablePointer<AVCodecContext>
    let packet: UnsafeMutablePointer<AVPacket>
    let frame: UnsafeMutablePointer<AVFrame>
    /// Packets (or decode calls) the decoder rejected, e.g. with AVERROR_INVALIDDATA.
    private(set) var rejectedPackets = 0

    /// The pass warning for packets the decoder rejected, or nil when there were none.
    var rejectedPacketsWarning: String? {
        rejectedPackets == 0 ? nil : "\(rejectedPackets) packet\(rejectedPackets == 1 ? "" : "s") could not be decoded"
    }

    /// The pass warning for a read error that ended a pass at media time `seconds`.
    static func readErrorWarning(at seconds: Double, code: Int32) -> String {
        "read error at \(String(format: "%.1f", max(0, seconds))) s: \(MediaError.ffmpegMessage(code))"
    }

    /// Opens the decoder of `streamIndex`. `threaded` turns on frame and slice threading.
    init(input: InputFile, streamIndex: Int, threaded: Bool) throws {
        self.input = input
        self.streamIndex = streamIndex
        stream = input.stream(streamIndex)
        let par = stream.pointee.codecpar!
        guard let decoder = avcodec_find_decoder(par.pointee.codec_id) else {
            throw MediaError(code: 0, operation: "find decoder", path: input.path,
                             message: "no decoder for \(String(cString: avcodec_get_name(par.pointee.codec_id)))")
        }
        guard let ctx = avcodec_alloc_context3(decoder) else {
            throw MediaError(code: vp_averror_enomem(), operation: "allocate decoder", path: input.path)
        }
        var code = avcodec_parameters_to_context(ctx, par)
        if code >= 0 {
            ctx.pointee.pkt_timebase = stream.pointee.time_base
            if threaded {
                ctx.pointee.thread_count = 0
                ctx.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            }
            code = avcodec_open2(ctx, decoder, nil)
        }
        guard code >= 0, let pkt = av_packet_alloc(), let frm = av_frame_alloc() else {
            var owned: UnsafeMutablePointer<AVCodecContext>? = ctx
            avcodec_free_context(&owned)
            throw MediaError(code: code < 0 ? code : vp_averror_enomem(), operation: "open decoder", path: input.path)
        }
        codec = ctx
        packet = pkt
        frame = frm
    }

    deinit {
        var ctx: UnsafeMutablePointer<AVCodecContext>? = codec
        avcodec_free_context(&ctx)
        var pkt: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&pkt)
        var frm: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&frm)
    }

    var timeBase: AVRational { stream.pointee.time_base }

    /// Reads the next packet of this stream into `packet`, skipping (and releasing) other streams' packets.
    func readPacket() -> ReadResult {
        while true {
            av_packet_unref(packet)
            let code = av_read_frame(input.context, packet)
            if code == vp_averror_eof() { return .endOfFile }
            if code < 0 { return .failed(code) }
            if Int(packet.pointee.stream_index) == streamIndex { return .packet }
        }
    }

    /// Presentation time (shared axis) of the packet last read, nil when it has none.
    var packetTime: Double? {
        let pts = packet.pointee.pts
        return pts == vp_nopts_value() ? nil : input.seconds(pts, timeBase: timeBase)
    }

    var packetIsKeyframe: Bool { packet.pointee.flags & AV_PKT_FLAG_KEY != 0 }

    /// Sends `packet` (or the end-of-stream marker when `endOfStream`) to the decoder. A packet the decoder
    /// rejects is counted and skipped; only running out of memory throws.
    func send(endOfStream: Bool = false) throws {
        let code = avcodec_send_packet(codec, endOfStream ? nil : packet)
        if !endOfStream { av_packet_unref(packet) }
        if code >= 0 || code == vp_averror_eof() || code == vp_averror_eagain() { return }
        if code == vp_averror_enomem() {
            throw MediaError(code: code, operation: "decode", path: input.path)
        }
        rejectedPackets += 1
    }

    /// Receives the next decoded frame into `frame`; false when the decoder needs more input or is drained.
    func receive() throws -> Bool {
        var failures = 0
        while true {
            av_frame_unref(frame)
            let code = avcodec_receive_frame(codec, frame)
            if code >= 0 { return true }
            if code == vp_averror_eagain() || code == vp_averror_eof() { return false }
            if code == vp_averror_enomem() {
                throw MediaError(code: code, operation: "decode", path: input.path)
            }
            rejectedPackets += 1
            failures += 1
            if failures > 64 { return false }
        }
    }

    /// Time of the current `frame` in seconds on the shared axis, or nil when it has no timestamp.
    var frameTime: Double? {
        let ts = frame.pointee.best_effort_timestamp
        if ts == vp_nopts_value() { return nil }
        return input.seconds(ts, timeBase: timeBase)
    }

    /// Seeks the container so that reading resumes at the keyframe at or before `time` (shared axis), and
    /// flushes the decoder. Returns false when the demuxer cannot seek.
    func seek(to time: Double) -> Bool {
        let ts = streamTimestamp(time)
        let code = av_seek_frame(input.context, Int32(streamIndex), ts, AVSEEK_FLAG_BACKWARD)
        guard code >= 0 else { return false }
        avcodec_flush_buffers(codec)
        return true
    }

    /// A shared-axis time in this stream's time base.
    func streamTimestamp(_ time: Double) -> Int64 {
        let tb = FFmpegLibrary.double(timeBase)
        guard tb > 0 else { return 0 }
        return Int64(((time + input.startTime) / tb).rounded(.down))
    }

    /// Time (shared axis) of the index's keyframe at or before `time`, or nil when the stream has no index
    /// entries (some containers have none until read).
    func indexedKeyframe(atOrBefore time: Double) -> Double? {
        guard avformat_index_get_entries_count(stream) > 0 else { return nil }
        // Before the first entry, decoding starts at the first keyframe anyway.
        guard let entry = avformat_index_get_entry_from_timestamp(stream, streamTimestamp(time), AVSEEK_FLAG_BACKWARD)
            ?? avformat_index_get_entry(stream, 0) else { return nil }
        guard entry.pointee.flags & AVINDEX_KEYFRAME != 0 else { return nil }
        return input.seconds(entry.pointee.timestamp, timeBase: timeBase)
    }

    var hasIndex: Bool { avformat_index_get_entries_count(stream) > 0 }
}

extension StreamDecoder {
    /// Opens the file, probes it, and opens a decoder on its best stream of `type`. Throws
    /// MediaError, also when the file has no such stream (code 0, "no \(kind) stream").
    static func openBest(_ type: AVMediaType, named kind: String, path: String, threaded: Bool) throws
        -> (InputFile, MediaInfo, StreamDecoder) {
        let input = try InputFile(path: path)
        let info = MediaProbe.info(of: input)
        guard let index = input.bestStream(of: type) else {
            throw MediaError(code: 0, operation: "find \(kind) stream", path: path, message: "no \(kind) stream")
        }
        return (input, info, try StreamDecoder(input: input, streamIndex: index, threaded: threaded))
    }
}
