import Foundation
import MediaIO

/// `shots.detect`: splits the video into shots with `ShotDetector` on every frame, decoded small.
public struct ShotsDetect: StageType {
    public static let name = "shots.detect"
    public static let summary = "Find hard cuts (content or adaptive HSV detection) and gradual transitions, and split the video into shots"
    /// 2: frames scaled with an anti-aliasing filter; gradual transitions; flash filter aware of motion.
    public static let version = 2
    public static let inputKinds: [DataKind] = []
    public static let outputKind: DataKind = .shots
    public static let media: MediaNeed = .video

    public struct Parameters: StageParameters {
        public var mode: ShotDetector.Mode = .content
        public var threshold: Double = 27
        public var adaptiveThreshold: Double = 3.0
        public var minContent: Double = 15
        public var window: Int = 2
        public var minLength = Seconds(1)
        public var flashFilter = true
        public var gradual = true
        public var analysisWidth = 128
        public var analysisFilter = ScalingFilter.area

        enum CodingKeys: String, CodingKey {
            case mode, threshold, window, gradual
            case adaptiveThreshold = "adaptive_threshold"
            case minContent = "min_content"
            case minLength = "min_length"
            case flashFilter = "flash_filter"
            case analysisWidth = "analysis_width"
            case analysisFilter = "analysis_filter"
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            mode = try c.decodeChoice(ShotDetector.Mode.self, forKey: .mode, default: d.mode)
            threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? d.threshold
            adaptiveThreshold = try c.decodeIfPresent(Double.self, forKey: .adaptiveThreshold) ?? d.adaptiveThreshold
            minContent = try c.decodeIfPresent(Double.self, forKey: .minContent) ?? d.minContent
            window = try c.decodeIfPresent(Int.self, forKey: .window) ?? d.window
            minLength = try c.decodeIfPresent(Seconds.self, forKey: .minLength) ?? d.minLength
            flashFilter = try c.decodeIfPresent(Bool.self, forKey: .flashFilter) ?? d.flashFilter
            gradual = try c.decodeIfPresent(Bool.self, forKey: .gradual) ?? d.gradual
            analysisWidth = try c.decodeIfPresent(Int.self, forKey: .analysisWidth) ?? d.analysisWidth
            analysisFilter = try c.decodeChoice(ScalingFilter.self, forKey: .analysisFilter, default: d.analysisFilter)
        }

        public func validate() throws(ParameterError) {
            try ParameterCheck.range(threshold, 1...255, key: "threshold")
            try ParameterCheck.range(adaptiveThreshold, 1...100, key: "adaptive_threshold")
            try ParameterCheck.range(minContent, 0...255, key: "min_content")
            try ParameterCheck.range(window, 1...30, key: "window")
            try ParameterCheck.range(minLength.value, 0...3600, key: "min_length")
            try ParameterCheck.range(analysisWidth, 16...1920, key: "analysis_width")
        }

        public static let documentation: [ParameterDoc] = [
            ParameterDoc("mode", "content | adaptive", default: "content",
                         "content: cut where the HSV score reaches threshold; adaptive: where it stands out from its neighbours"),
            ParameterDoc("threshold", "number", default: "27", "content mode: score (0–255) at which a cut is placed"),
            ParameterDoc("adaptive_threshold", "number", default: "3.0",
                         "adaptive mode: score / mean score of the surrounding frames at which a cut is placed"),
            ParameterDoc("min_content", "number", default: "15", "adaptive mode: lowest score that can be a cut"),
            ParameterDoc("window", "integer (frames)", default: "2", "adaptive mode: frames on each side averaged"),
            ParameterDoc("min_length", "duration", default: "1s", "no shot is shorter than this"),
            ParameterDoc("flash_filter", "boolean", default: "true",
                         "ignore cuts whose next few frames return to the picture before (camera flashes)"),
            ParameterDoc("gradual", "boolean", default: "true",
                         "also cut at fades, dissolves and fades through black or white (in the middle of the transition)"),
            ParameterDoc("analysis_width", "integer (pixels)", default: "128", "frames are decoded scaled to this width"),
            ParameterDoc("analysis_filter", "area | bilinear", default: "area",
                         "area: mean of each pixel's source box, read straight from 8-bit 4:2:0 video (other formats use bilinear); bilinear: swscale"),
        ]

        var detectorSettings: ShotDetector.Settings {
            var s = ShotDetector.Settings()
            s.mode = mode
            s.threshold = threshold
            s.adaptiveThreshold = adaptiveThreshold
            s.minContent = minContent
            s.window = window
            s.minLength = minLength.value
            s.flashFilter = flashFilter
            s.gradual = gradual
            return s
        }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasVideo else { return .skip(reason: "no video stream") }
        let request = FrameRequest(policy: .everyFrame, maxWidth: parameters.analysisWidth, maxHeight: 0, layout: .rgb24,
                                   filter: parameters.analysisFilter)
        let sink = ShotsDetectSink(settings: parameters.detectorSettings, info: context.info)
        return .video(request, sink)
    }
}

/// Feeds every frame to a `ShotDetector`; used on the decode pass's serial queue only.
final class ShotsDetectSink: VideoFrameSink {
    private var detector: ShotDetector
    private let info: MediaInfo
    private var lastFrameTime: Double?

    init(settings: ShotDetector.Settings, info: MediaInfo) {
        detector = ShotDetector(settings: settings)
        self.info = info
    }

    func consume(_ frame: VideoFrame) throws {
        detector.process(time: frame.time, frame: frame)
        lastFrameTime = frame.time
    }

    func finish() throws -> StageOutput {
        let frameDuration = info.fps > 0 ? 1 / info.fps : 0
        let endTime = max(info.duration, (lastFrameTime ?? 0) + frameDuration)
        return .shots(detector.finish(endTime: endTime))
    }
}
