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

        public init() {}

        public func validate() throws(ParameterError) {
            try check(\.threshold, 1...255)
            try check(\.adaptiveThreshold, 1...100)
            try check(\.minContent, 0...255)
            try check(\.window, 1...30)
            try check(\.minLength, 0...3600)
            try check(\.analysisWidth, 16...1920)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("mode", \.mode, "content | adaptive",
                           "content: cut where the HSV score reaches threshold; adaptive: where it stands out from its neighbours"),
            ParameterField("threshold", \.threshold, "number", "content mode: score (0–255) at which a cut is placed"),
            ParameterField("adaptive_threshold", \.adaptiveThreshold, "number",
                           "adaptive mode: score / mean score of the surrounding frames at which a cut is placed"),
            ParameterField("min_content", \.minContent, "number", "adaptive mode: lowest score that can be a cut"),
            ParameterField("window", \.window, "integer (frames)", "adaptive mode: frames on each side averaged"),
            ParameterField("min_length", \.minLength, "duration", "no shot is shorter than this"),
            ParameterField("flash_filter", \.flashFilter, "boolean",
                           "ignore cuts whose next few frames return to the picture before (camera flashes)"),
            ParameterField("gradual", \.gradual, "boolean",
                           "also cut at fades, dissolves and fades through black or white (in the middle of the transition)"),
            ParameterField("analysis_width", \.analysisWidth, "integer (pixels)", "frames are decoded scaled to this width"),
            ParameterField("analysis_filter", \.analysisFilter, "area | bilinear",
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
