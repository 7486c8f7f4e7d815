import Foundation
import MediaIO
import PocketSphinxASR

/// `speech.transcribe`: speech to text for the speech segments of an upstream stage
/// (`speech.segments` or `audio.segments`), with word timings.
public struct SpeechTranscribe: StageType {
    public static let name = "speech.transcribe"
    public static let summary = "Transcribe the speech segments of an upstream stage (PocketSphinx), with word timings"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.audioSegments]
    public static let outputKind: DataKind = .transcript
    public static let media: MediaNeed = .audio

    public struct Parameters: StageParameters {
        public static let engines = ["pocketsphinx"]

        public var engine = "pocketsphinx"
        public var modelDir: String?
        public var lm: String?
        public var dict: String?
        public var padding = Seconds(0.200)
        public var maxSegment = Seconds(30)

        enum CodingKeys: String, CodingKey {
            case engine, lm, dict, padding
            case modelDir = "model_dir"
            case maxSegment = "max_segment"
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            engine = try c.decodeIfPresent(String.self, forKey: .engine) ?? d.engine
            modelDir = try c.decodeIfPresent(String.self, forKey: .modelDir) ?? d.modelDir
            lm = try c.decodeIfPresent(String.self, forKey: .lm) ?? d.lm
            dict = try c.decodeIfPresent(String.self, forKey: .dict) ?? d.dict
            padding = try c.decodeIfPresent(Seconds.self, forKey: .padding) ?? d.padding
            maxSegment = try c.decodeIfPresent(Seconds.self, forKey: .maxSegment) ?? d.maxSegment
        }

        public func validate() throws(ParameterError) {
            guard Parameters.engines.contains(engine) else {
                throw ParameterError(key: "engine", "unknown engine '\(engine)'",
                                     hint: "'pocketsphinx' is the only engine for now")
            }
            for (key, value) in [("model_dir", modelDir), ("lm", lm), ("dict", dict)] where value?.isEmpty == true {
                throw ParameterError(key: key, "is empty", hint: "give a path, or leave the key out to use Debian's pocketsphinx-en-us")
            }
            try ParameterCheck.range(padding.value, 0...5, key: "padding")
            try ParameterCheck.range(maxSegment.value, 1...300, key: "max_segment")
        }

        public static let documentation: [ParameterDoc] = [
            ParameterDoc("engine", "pocketsphinx", default: "pocketsphinx", "speech recognizer; pocketsphinx is the only one for now"),
            ParameterDoc("model_dir", "path", default: PocketSphinxModel.debianAcousticModel,
                         "acoustic model directory (holds mdef, means, variances, ...); Debian package pocketsphinx-en-us"),
            ParameterDoc("lm", "path", default: PocketSphinxModel.debianLanguageModel, "n-gram language model (ARPA or binary)"),
            ParameterDoc("dict", "path", default: PocketSphinxModel.debianDictionary, "pronunciation dictionary"),
            ParameterDoc("padding", "duration", default: "200ms",
                         "audio added before and after each speech segment, so word edges are not cut"),
            ParameterDoc("max_segment", "duration", default: "30s",
                         "longer speech segments are cut into equal parts no longer than this, each its own transcript segment"),
        ]

        var model: PocketSphinxModel {
            PocketSphinxModel(acousticModel: modelDir, languageModel: lm, dictionary: dict)
        }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasAudio else { return .skip(reason: "no audio stream") }
        guard case .audioSegments(let segments)? = context.input(.audioSegments) else {
            throw ParameterError(key: "from", "speech.transcribe needs the audio segments of an upstream stage",
                                 hint: "add from: with a speech.segments or audio.segments stage")
        }
        let model = parameters.model
        try model.check()  // a missing model fails here, before any decoding, naming the file
        let windows = SpeechWindow.plan(segments, padding: parameters.padding.value,
                                        maxLength: parameters.maxSegment.value, duration: context.info.duration)
        guard !windows.isEmpty else { return .compute { .transcript([]) } }
        return .audio(SpeechTranscribeSink(windows: windows, model: model))
    }
}
