internal import CFFmpeg

/// Reads a file's container and stream facts without decoding it.
public enum MediaProbe {
    /// Opens the file (container detected by content, not extension), reads stream info, returns MediaInfo.
    public static func probe(path: String) throws -> MediaInfo {
        try info(of: InputFile(path: path))
    }

    /// The MediaInfo of an already opened input.
    static func info(of input: InputFile) -> MediaInfo {
        let ctx = input.context
        let formatName = ctx.pointee.iformat.flatMap { $0.pointee.name.map { String(cString: $0) } } ?? ""
        let videoIndex = input.bestStream(of: AVMEDIA_TYPE_VIDEO)
        let audioIndex = input.bestStream(of: AVMEDIA_TYPE_AUDIO)

        var duration = 0.0
        if ctx.pointee.duration != vp_nopts_value() && ctx.pointee.duration > 0 {
            duration = Double(ctx.pointee.duration) / Double(AV_TIME_BASE)
        } else {
            for index in [videoIndex, audioIndex].compactMap({ $0 }) {
                let st = input.stream(index)
                if st.pointee.duration != vp_nopts_value() && st.pointee.duration > 0 {
                    duration = max(duration, Double(st.pointee.duration) * FFmpegLibrary.double(st.pointee.time_base))
                }
            }
        }

        var width = 0, height = 0, rotation = 0, fps = 0.0, frameCount = 0
        var videoCodec: String? = nil
        if let videoIndex {
            let st = input.stream(videoIndex)
            let par = st.pointee.codecpar!
            rotation = input.rotation(ofStream: videoIndex)
            let quarterTurn = rotation == 90 || rotation == 270
            width = Int(quarterTurn ? par.pointee.height : par.pointee.width)
            height = Int(quarterTurn ? par.pointee.width : par.pointee.height)
            fps = FFmpegLibrary.double(st.pointee.avg_frame_rate)
            if fps <= 0 { fps = FFmpegLibrary.double(st.pointee.r_frame_rate) }
            frameCount = max(0, Int(st.pointee.nb_frames))
            videoCodec = String(cString: avcodec_get_name(par.pointee.codec_id))
        }

        var audioCodec: String? = nil
        var sampleRate: Int? = nil
        var channels: Int? = nil
        if let audioIndex {
            let par = input.stream(audioIndex).pointee.codecpar!
            audioCodec = String(cString: avcodec_get_name(par.pointee.codec_id))
            sampleRate = Int(par.pointee.sample_rate)
            channels = Int(par.pointee.ch_layout.nb_channels)
        }

        return MediaInfo(formatName: formatName, duration: duration, hasVideo: videoIndex != nil,
                         hasAudio: audioIndex != nil, width: width, height: height, rotation: rotation, fps: fps,
                         videoCodec: videoCodec, audioCodec: audioCodec, audioSampleRate: sampleRate,
                         audioChannels: channels, frameCountHint: frameCount)
    }
}
