/// What probing a file found out about it; written to `videos` by `VidpipeStore.recordProbe`.
public struct ProbeFields: Sendable, Equatable {
    /// Seconds, or nil when the container does not say.
    public var durationS: Double?
    /// Display width and height, after applying `rotation`.
    public var width: Int?
    public var height: Int?
    public var fps: Double?
    public var videoCodec: String?
    public var audioCodec: String?
    /// The demuxer's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2` or `matroska,webm`.
    public var container: String?
    public var hasVideo: Bool
    public var hasAudio: Bool
    /// Display rotation in degrees clockwise (0, 90, 180, 270), or nil when unknown.
    public var rotation: Int?

    public init(durationS: Double? = nil, width: Int? = nil, height: Int? = nil, fps: Double? = nil,
                videoCodec: String? = nil, audioCodec: String? = nil, container: String? = nil,
                hasVideo: Bool, hasAudio: Bool, rotation: Int? = nil) {
        self.durationS = durationS
        self.width = width
        self.height = height
        self.fps = fps
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
        self.container = container
        self.hasVideo = hasVideo
        self.hasAudio = hasAudio
        self.rotation = rotation
    }
}
