import Foundation
import MediaIO
import SherpaOnnx

/// `speech.segments`: splits the audio track into speech and silence with Silero VAD (in-process,
/// through sherpa-onnx), or with the energy detector of `audio.segments`.
public struct SpeechSegments: StageType {
    public static let name = "speech.segments"
    public static let summary = "Split the audio track into speech and silence segments (Silero VAD, or energy)"
    public static let version = 1
    public static let inputKinds: [DataKind] = []
    public static let outputKind: DataKind = .audioSegments
    public static let media: MediaNeed = .audio

    /// Where the Silero model is looked for when `model` is not set, in order.
    static func defaultModelCandidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var candidates: [String] = []
        if let dir = environment["VIDPIPE_MODEL_DIR"], !dir.isEmpty {
            candidates.append((dir as NSString).appendingPathComponent("silero_vad.onnx"))
        }
        candidates.append("/usr/local/share/vidpipe/models/silero_vad.onnx")
        return candidates
    }

    public struct Parameters: StageParameters {
        public enum Engine: String, Codable, Sendable, CaseIterable {
            case silero, energy
        }

        public var engine = Engine.silero
        /// Empty: the first of `defaultModelCandidates()` that exists.
        public var model = ""
        public var threshold: Double = 0.5
        public var minSpeech = Seconds(0.250)
        public var minSilence = Seconds(0.500)
        public var padding = Seconds(0.100)

        public init() {}

        public func validate() throws(ParameterError) {
            try check(\.threshold, 0.05...0.95)
            try check(\.minSpeech, 0...10)
            try check(\.minSilence, 0...10)
            try check(\.padding, 0...5)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("engine", \.engine, "silero | energy",
                           "silero: Silero VAD through sherpa-onnx; energy: the level detector of audio.segments with its defaults "
                              + "(the other keys apply to silero only)"),
            ParameterField("model", \.model, "path", defaultText: "$VIDPIPE_MODEL_DIR/silero_vad.onnx, else /usr/local/share/vidpipe/models/silero_vad.onnx",
                           "the Silero VAD ONNX model (scripts/setup.sh installs it from PyPI silero-vad)"),
            ParameterField("threshold", \.threshold, "number 0.05-0.95",
                           "speech probability above which a 32 ms window is speech; lower finds more speech"),
            ParameterField("min_speech", \.minSpeech, "duration", "speech must last this long to start a segment"),
            ParameterField("min_silence", \.minSilence, "duration",
                           "a pause must last this long to end a segment; shorter pauses stay inside speech"),
            ParameterField("padding", \.padding, "duration",
                           "added before and after each speech segment; segments that then touch are merged"),
        ]

        func vadSettings(model: String) -> SileroVAD.Settings {
            var s = SileroVAD.Settings(model: model)
            s.threshold = threshold
            s.minSpeech = minSpeech.value
            s.minSilence = minSilence.value
            return s
        }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasAudio else { return .skip(reason: "no audio stream") }
        switch parameters.engine {
        case .energy:
            return .audio(AudioSegmentsSink(settings: EnergySegmenter.Settings()))
        case .silero:
            let model = try resolveModel(parameters.model)
            return .audio(VadSpeechSink(settings: parameters.vadSettings(model: model), padding: parameters.padding.value))
        }
    }

    /// The model path to use; throws naming every place looked at when none exists, so the stage
    /// fails before decoding. The detector itself loads on the audio queue.
    static func resolveModel(_ configured: String, candidates: [String] = defaultModelCandidates()) throws -> String {
        if !configured.isEmpty {
            guard FileManager.default.isReadableFile(atPath: configured) else {
                throw SherpaOnnxError(.modelMissing, "Silero VAD model not found at \(configured) (speech.segments `model`)",
                                      hint: "scripts/setup.sh installs silero_vad.onnx to /usr/local/share/vidpipe/models; "
                                        + "or point `model` at a silero_vad.onnx, or use `engine: energy`")
            }
            return configured
        }
        if let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) { return found }
        throw SherpaOnnxError(.modelMissing, "Silero VAD model not found at \(candidates.joined(separator: " or "))",
                              hint: "run scripts/setup.sh (it installs silero_vad.onnx from PyPI silero-vad), "
                                + "set VIDPIPE_MODEL_DIR to a folder holding silero_vad.onnx, set the stage's `model`, "
                                + "or use `engine: energy`")
    }
}
