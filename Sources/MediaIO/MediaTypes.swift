import Foundation

/// What `MediaProbe.probe(_:)` learns about a file without decoding it.
public struct MediaInfo: Sendable, Codable, Equatable {
    /// Container format as FFmpeg names it, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".
    public var formatName: String
    /// Seconds; 0 when the container does not say and no stream does either.
    public var duration: Double
    public var hasVideo: Bool
    public var hasAudio: Bool
    /// Display size after the rotation metadata is applied (a 1920x1080 stream rotated 90° is 1080x1920).
    public var width: Int
    public var height: Int
    /// Clockwise rotation in degrees the player applies (0, 90, 180, 270).
    public var rotation: Int
    /// Average frame rate of the video stream (0 when unknown or no video).
    public var fps: Double
    public var videoCodec: String?
    public var audioCodec: String?
    public var audioSampleRate: Int?
    public var audioChannels: Int?
    /// Number of video frames when the container says (0 when unknown).
    public var frameCountHint: Int

    public init(formatName: String, duration: Double, hasVideo: Bool, hasAudio: Bool, width: Int, height: Int,
                rotation: Int, fps: Double, videoCodec: String?, audioCodec: String?, audioSampleRate: Int?,
                audioChannels: Int?, frameCountHint: Int) {
        self.formatName = formatName
        self.duration = duration
        self.hasVideo = hasVideo
        self.hasAudio = hasAudio
        self.width = width
        self.height = height
        self.rotation = rotation
        self.fps = fps
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
        self.audioSampleRate = audioSampleRate
        self.audioChannels = audioChannels
        self.frameCountHint = frameCountHint
    }
}

/// Pixel layouts a consumer can ask the decoder to scale into. Both are packed, one plane.
public enum PixelLayout: String, Sendable, Codable, Hashable {
    case rgb24
    case gray8

    public var bytesPerPixel: Int { self == .rgb24 ? 3 : 1 }
}

/// Which frames of a video a consumer wants.
public enum SamplingPolicy: Sendable, Hashable {
    /// Every decoded frame (dense).
    case everyFrame
    /// One frame every `seconds`, at t = 0, s, 2s, ... (the frame displayed at that time).
    case interval(seconds: Double)
    /// `fps` frames per second, i.e. `interval(1/fps)`.
    case fps(Double)
    /// Only keyframes (I-frames); the decoder skips everything else.
    case keyframesOnly
    /// The frames displayed at these media times (seconds, any order; duplicates collapse).
    case timestamps([Double])

    /// True when the policy touches a small part of the video, so seeking can beat decoding everything.
    public var isSparse: Bool {
        switch self {
        case .everyFrame, .keyframesOnly: return false
        case .interval, .fps, .timestamps: return true
        }
    }
}

/// One consumer's request to a `VideoPass`: which frames, at which size and layout.
public struct FrameRequest: Sendable, Hashable {
    public var policy: SamplingPolicy
    /// The frame is scaled to fit inside maxWidth x maxHeight keeping its display aspect ratio
    /// (never upscaled). 0 means no limit on that side.
    public var maxWidth: Int
    public var maxHeight: Int
    public var layout: PixelLayout
    /// For sparse policies: deliver the nearest keyframe instead of the exact time (much faster).
    public var snapToKeyframe: Bool
    /// When true and both maxWidth and maxHeight are set, the frame is scaled to exactly that size
    /// (after rotation), ignoring its aspect ratio, like ffmpeg's `scale=W:H`; models with a fixed
    /// input size want this.
    public var exactSize: Bool
    /// How the frame is shrunk. `.area` is for analysis frames far smaller than the source.
    public var filter: ScalingFilter

    public init(policy: SamplingPolicy, maxWidth: Int = 0, maxHeight: Int = 0, layout: PixelLayout = .rgb24,
                snapToKeyframe: Bool = false, exactSize: Bool = false, filter: ScalingFilter = .bilinear) {
        self.policy = policy
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.layout = layout
        self.snapToKeyframe = snapToKeyframe
        self.exactSize = exactSize
        self.filter = filter
    }
}

/// The downscaling filter of a `FrameRequest`.
public enum ScalingFilter: String, Sendable, Hashable, Codable, CaseIterable {
    /// swscale's bilinear filter (widened to the reduction), any pixel format: images people or models see.
    case bilinear
    /// The mean of each output pixel's source box, computed directly on 8-bit 4:2:0 planes when the
    /// frame shrinks at least two-fold (other inputs fall back to `.bilinear`): cheaper by far for
    /// small analysis frames, and free of aliasing.
    case area
}

/// A decoded, scaled, rotated video frame that owns its pixels; safe to send across queues.
public struct VideoFrame: Sendable {
    /// Presentation time in seconds from the start of the media timeline (the stream's start time is 0).
    public var time: Double
    /// For `.timestamps`, `.interval` and `.fps` policies: the media time this frame was picked for.
    public var targetTime: Double?
    /// Position of this frame among the frames the decoder produced, in presentation order
    /// (0-based; for sparse policies it is the running count of decoded frames, so only monotonic).
    public var index: Int
    public var isKeyframe: Bool
    public var width: Int
    public var height: Int
    public var layout: PixelLayout
    /// Bytes per row; rows are packed, so this is width * layout.bytesPerPixel.
    public var bytesPerRow: Int { width * layout.bytesPerPixel }
    /// width * height * bytesPerPixel bytes, row after row.
    public var pixels: [UInt8]

    public init(time: Double, targetTime: Double? = nil, index: Int, isKeyframe: Bool, width: Int, height: Int,
                layout: PixelLayout, pixels: [UInt8]) {
        self.time = time
        self.targetTime = targetTime
        self.index = index
        self.isKeyframe = isKeyframe
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }
}

/// A run of decoded audio, resampled to mono float32 at `sampleRate` (16 kHz).
public struct AudioChunk: Sendable {
    /// Media time of the first sample, seconds.
    public var startTime: Double
    public var sampleRate: Int
    public var samples: [Float]

    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    public init(startTime: Double, sampleRate: Int, samples: [Float]) {
        self.startTime = startTime
        self.sampleRate = sampleRate
        self.samples = samples
    }
}

/// What a decode pass saw, for the run report.
public struct PassReport: Sendable, Equatable {
    /// Frames (video) or sample blocks (audio) the decoder produced.
    public var decodedFrames: Int = 0
    /// Frames handed to consumers, summed over consumers.
    public var deliveredFrames: Int = 0
    /// Audio samples delivered (16 kHz mono), for audio passes.
    public var deliveredSamples: Int = 0
    /// Seeks performed.
    public var seeks: Int = 0
    /// Damage the decoder stepped over: packets it could not decode, a read error before the end.
    /// Non-empty means the file was decoded as far as possible.
    public var warnings: [String] = []

    public init() {}
}
