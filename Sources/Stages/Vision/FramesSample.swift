import Foundation
import MediaIO

/// `frames.sample`: thumbnails (JPEG + pHash) at an interval, a rate, the keyframes or given times.
public struct FramesSample: StageType {
    public static let name = "frames.sample"
    public static let summary = "Sample still frames (JPEG thumbnails with perceptual hashes) by interval, rate, keyframes or timestamps"
    public static let version = 1
    public static let inputKinds: [DataKind] = []
    public static let outputKind: DataKind = .frames
    public static let media: MediaNeed = .video

    public enum Policy: String, Sendable, Codable, CaseIterable {
        case interval, fps, keyframes, timestamps
    }

    public enum Snap: String, Sendable, Codable, CaseIterable {
        /// The frame displayed at the requested time.
        case exact
        /// The nearest keyframe before it (much faster for sparse sampling).
        case keyframe
    }

    public struct Parameters: StageParameters {
        public var every = Seconds(5)
        public var policy: Policy = .interval
        public var fps: Double = 1
        public var at: [Double] = []
        public var snap: Snap = .exact
        public var maxSize = 320
        public var quality = 75

        public init() {}

        public func validate() throws(ParameterError) {
            try checkPositive(\.every)
            try check(\.fps, 0.001...240)
            if policy == .timestamps && at.isEmpty {
                throw ParameterError(key: "at", "policy timestamps needs at least one time",
                                     hint: "e.g. at: [0, 12.5, 1m]")
            }
            for t in at where !(t >= 0 && t.isFinite) {
                throw ParameterError(key: "at", "\(t) is not a media time", hint: "use seconds from the start, 0 or more")
            }
            try check(\.maxSize, 16...4096)
            try check(\.quality, 1...100)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("every", \.every, "duration", "policy interval: time between samples, from 0"),
            ParameterField("policy", \.policy, "interval | fps | keyframes | timestamps",
                           "which frames to sample"),
            ParameterField("fps", \.fps, "number", "policy fps: samples per second"),
            // Written as durations ("1m", 12.5), kept as seconds.
            ParameterField("at", \.at, "list of durations", "policy timestamps: the media times to sample",
                           read: { try $0.decode([Seconds].self, forKey: $1).map(\.value) }),
            ParameterField("snap", \.snap, "exact | keyframe",
                           "exact: the frame shown at the time; keyframe: the nearest keyframe (faster)"),
            ParameterField("max_size", \.maxSize, "integer (pixels)", "longest side of the thumbnail"),
            ParameterField("quality", \.quality, "integer 1–100", "JPEG quality"),
        ]

        var samplingPolicy: SamplingPolicy {
            switch policy {
            case .interval: return .interval(seconds: every.value)
            case .fps: return .fps(fps)
            case .keyframes: return .keyframesOnly
            case .timestamps: return .timestamps(at)
            }
        }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasVideo else { return .skip(reason: "no video stream") }
        let request = FrameRequest(policy: parameters.samplingPolicy, maxWidth: parameters.maxSize,
                                   maxHeight: parameters.maxSize, layout: .rgb24,
                                   snapToKeyframe: parameters.snap == .keyframe)
        return .video(request, FramesSampleSink(encoder: try StillFrameEncoder(quality: parameters.quality)))
    }
}

/// Encodes every delivered frame as a still; used on the decode pass's serial queue only.
final class FramesSampleSink: VideoFrameSink {
    private let encoder: StillFrameEncoder
    private var stills: [SampledFrame] = []
    private var lastIndex: Int?

    init(encoder: StillFrameEncoder) {
        self.encoder = encoder
    }

    func consume(_ frame: VideoFrame) throws {
        // One decoded frame can serve several targets (snapped to one keyframe, or a long frame): keep it once.
        guard frame.index != lastIndex else { return }
        lastIndex = frame.index
        stills.append(try encoder.still(from: frame, shotIndex: nil))
    }

    func finish() throws -> StageOutput {
        .frames(stills)
    }
}
