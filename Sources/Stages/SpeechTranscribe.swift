import Foundation
import MediaIO
import PocketSphinxASR
import SherpaOnnx
import ModelAPI

/// `speech.transcribe`: speech to text for the speech segments of an upstream stage
/// (`speech.segments` or `audio.segments`), with word timings.
public struct SpeechTranscribe: StageType {
    public static let name = "speech.transcribe"
    public static let summary = "Transcribe the speech segments of an upstream stage (PocketSphinx, or Whisper/Moonshine/SenseVoice via sherpa-onnx), with word timings"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.audioSegments]
    public static let outputKind: DataKind = .transcript
    public static let media: MediaNeed = .audio

    public struct Parameters: StageParameters {
        public static let engines = ["pocketsphinx", "sherpa", "openai"]

        public var engine = "pocketsphinx"
        public var modelDir: String?
        public var lm: String?
        public var dict: String?
        public var padding = Seconds(0.200)
        public var maxSegment = Seconds(30)
        public var modelType = SherpaModelType.whisper
        public var language = ""
        public var model = ""

        enum CodingKeys: String, CodingKey {
            case engine, lm, dict, padding, model
            case modelDir = "model_dir"
            case maxSegment = "max_segment"
            case modelType = "model_type"
            case language
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
            modelType = try c.decodeChoice(SherpaModelType.self, forKey: .modelType, default: d.modelType)
            language = try c.decodeIfPresent(String.self, forKey: .language) ?? d.language
            model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        }

        public func validate() throws(ParameterError) {
            guard Parameters.engines.contains(engine) else {
                throw ParameterError(key: "engine", "unknown engine '\(engine)'",
                                     hint: "engines: pocketsphinx (offline, Debian's en-us model), sherpa (a Whisper, Moonshine or SenseVoice model directory) or openai (a server's /audio/transcriptions)")
            }
            if engine != "openai" && !model.isEmpty {
                throw ParameterError(key: "model", "only engine openai takes a model name",
                                     hint: "pocketsphinx and sherpa take model_dir; set engine: openai to use a server")
            }
            if engine == "sherpa" && (modelDir ?? "").isEmpty {
                throw ParameterError(key: "model_dir", "engine sherpa needs the model directory you downloaded",
                                     hint: modelType.downloadHint)
            }
            for (key, value) in [("model_dir", modelDir), ("lm", lm), ("dict", dict)] where value?.isEmpty == true {
                throw ParameterError(key: key, "is empty", hint: "give a path, or leave the key out to use Debian's pocketsphinx-en-us")
            }
            try ParameterCheck.range(padding.value, 0...5, key: "padding")
            try ParameterCheck.range(maxSegment.value, 1...300, key: "max_segment")
        }

        public static let documentation: [ParameterDoc] = [
            ParameterDoc("engine", "pocketsphinx | sherpa | openai", default: "pocketsphinx",
                         "speech recognizer: PocketSphinx (offline, Debian's en-us model), sherpa-onnx with a downloaded model, "
                            + "or openai: each speech segment as a WAV to the stage's provider (POST /audio/transcriptions; "
                            + "faster-whisper, whisper.cpp or OpenAI servers)"),
            ParameterDoc("model", "string", default: "\"\"", "openai: the transcription model on the server (e.g. whisper-1); empty: the provider's `model`"),
            ParameterDoc("model_dir", "path", default: PocketSphinxModel.debianAcousticModel,
                         "pocketsphinx: acoustic model directory (mdef, means, ...); sherpa: the model directory (required; docs/providers.md)"),
            ParameterDoc("model_type", "whisper | moonshine | sense_voice", default: "whisper",
                         "sherpa: the kind of model in model_dir"),
            ParameterDoc("language", "string", default: "\"\"", "sherpa and openai: spoken language for multilingual models (e.g. en); empty = the model's default or auto"),
            ParameterDoc("lm", "path", default: PocketSphinxModel.debianLanguageModel, "n-gram language model (ARPA or binary)"),
            ParameterDoc("dict", "path", default: PocketSphinxModel.debianDictionary, "pronunciation dictionary"),
            ParameterDoc("padding", "duration", default: "200ms",
                         "audio added before and after each speech segment, so word edges are not cut"),
            ParameterDoc("max_segment", "duration", default: "30s",
                         "longer speech segments are cut into equal parts no longer than this, each its own transcript segment"),
        ]

        var pocketSphinxModel: PocketSphinxModel {
            PocketSphinxModel(acousticModel: modelDir, languageModel: lm, dictionary: dict)
        }
    }

    public static func needsProvider(_ parameters: Parameters) -> Bool { parameters.engine == "openai" }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasAudio else { return .skip(reason: "no audio stream") }
        guard case .audioSegments(let segments)? = context.input(.audioSegments) else {
            throw ParameterError(key: "from", "speech.transcribe needs the audio segments of an upstream stage",
                                 hint: "add from: with a speech.segments or audio.segments stage")
        }
        let engine: SpeechTranscribeSink.Engine
        if parameters.engine == "openai" {
            let provider = try context.requireProvider("speech.transcribe with engine openai")
            engine = .remote(RemoteTranscriber(provider: provider, model: parameters.model.isEmpty ? nil : parameters.model,
                                               language: parameters.language.isEmpty ? nil : parameters.language))
        } else if parameters.engine == "sherpa", let directory = parameters.modelDir {
            _ = try parameters.modelType.locateFiles(in: directory)  // a missing file fails here, before decoding
            engine = .sherpa(directory: directory, type: parameters.modelType, language: parameters.language)
        } else {
            let model = parameters.pocketSphinxModel
            try model.check()  // a missing model fails here, before any decoding, naming the file
            engine = .pocketsphinx(model)
        }
        let windows = SpeechWindow.plan(segments, padding: parameters.padding.value,
                                        maxLength: parameters.maxSegment.value, duration: context.info.duration)
        guard !windows.isEmpty else { return .compute { .transcript([]) } }
        return .audio(SpeechTranscribeSink(windows: windows, engine: engine))
    }
}
