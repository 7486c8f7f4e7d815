internal import CFFmpeg

/// An opened container (AVFormatContext) with its stream info read. Owns the context and closes it in
/// deinit. Not Sendable: used by one pass on one thread.
final class InputFile {
    let path: String
    let context: UnsafeMutablePointer<AVFormatContext>
    /// The container's start time in seconds (AVFormatContext.start_time), 0 when unset. Every time vidpipe
    /// reports is relative to it, so video and audio share one axis.
    let startTime: Double

    init(path: String) throws {
        FFmpegLibrary.prepare()
        self.path = path
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        // Inputs are local files: no network or other protocol, even from inside a playlist.
        var options: OpaquePointer? = nil
        av_dict_set(&options, "protocol_whitelist", "file", 0)
        defer { av_dict_free(&options) }
        // A nil format lets FFmpeg probe the content, so a WebM named .mp4 still opens as WebM.
        let openCode = avformat_open_input(&ctx, path, nil, &options)
        guard openCode >= 0, let opened = ctx else {
            throw MediaError(code: openCode, operation: "open input", path: path)
        }
        // A playlist (HLS, DASH, ffconcat) saved under a media name would pull in the files it lists,
        // and their content would be stored under this name: refuse it.
        if let format = opened.pointee.iformat.map({ String(cString: $0.pointee.name) }),
           Self.playlistFormats.contains(where: { format.split(separator: ",").map(String.init).contains($0) }) {
            avformat_close_input(&ctx)
            throw MediaError(code: 0, operation: "open input", path: path,
                             message: "a playlist (\(format)) that refers to other files, not a media file; "
                                + "vidpipe reads each media file itself (give it the files the playlist lists)")
        }
        let infoCode = avformat_find_stream_info(opened, nil)
        if infoCode < 0 {
            avformat_close_input(&ctx)
            throw MediaError(code: infoCode, operation: "read stream info", path: path)
        }
        context = opened
        let start = opened.pointee.start_time
        startTime = start == vp_nopts_value() ? 0 : Double(start) / Double(AV_TIME_BASE)
    }

    /// Demuxers that read other files or URLs named inside the input.
    static let playlistFormats = ["hls", "applehttp", "dash", "concat"]

    deinit {
        var ctx: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&ctx)
    }

    var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ index: Int) -> UnsafeMutablePointer<AVStream> {
        context.pointee.streams[index]!
    }

    /// The best stream of `type` that has a decoder: never an attached picture (cover art); prefers the
    /// default disposition, then the largest picture (video) or the most channels (audio).
    func bestStream(of type: AVMediaType) -> Int? {
        var best: (index: Int, score: Int64)? = nil
        for index in 0..<streamCount {
            let st = stream(index)
            guard let par = st.pointee.codecpar, par.pointee.codec_type == type else { continue }
            if st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 { continue }
            if avcodec_find_decoder(par.pointee.codec_id) == nil { continue }
            var score: Int64 = st.pointee.disposition & AV_DISPOSITION_DEFAULT != 0 ? 1 << 40 : 0
            if type == AVMEDIA_TYPE_VIDEO {
                score += Int64(par.pointee.width) * Int64(par.pointee.height)
            } else {
                score += Int64(par.pointee.ch_layout.nb_channels) * 1_000_000 + Int64(par.pointee.sample_rate)
            }
            if best == nil || score > best!.score { best = (index, score) }
        }
        return best?.index
    }

    /// Clockwise rotation (0, 90, 180, 270) a player applies to the stream, from its display matrix.
    func rotation(ofStream index: Int) -> Int {
        let counterClockwise = vp_stream_rotation(stream(index))
        var clockwise = Int((-counterClockwise).rounded()) % 360
        if clockwise < 0 { clockwise += 360 }
        // Snap to the nearest quarter turn; other angles are not applied.
        let quarter = ((clockwise + 45) / 90 % 4) * 90
        return quarter
    }

    /// Seconds of a stream timestamp on the shared axis (relative to the container start).
    func seconds(_ timestamp: Int64, timeBase: AVRational) -> Double {
        Double(timestamp) * FFmpegLibrary.double(timeBase) - startTime
    }
}
