import Foundation
import MediaIO
import PocketSphinxASR
import SherpaOnnx
import ModelAPI

/// `speech.transcribe`: speech to text for the speech segments of an upstream stage
/// (`speech.segments` or `audio.segments`), with word timings.
public struct SpeechTranscribe: StageType {
    public static let name = "speech.transcribe"
    public static let summary = "Transcribe the speech segments of an upstream stage (Whisper by default; PocketSphinx, sherpa-onnx models or a model server), with word timings"
    public static let version = 2
    public static let inputKinds: [DataKind] = [.audioSegments]
    public static let outputKind: DataKind = .transcript
    public static let media: MediaNeed = .audio

    public struct Parameters: StageParameters {
        public static let engines = ["whisper", "pocketsphinx", "sherpa", "openai"]

        public var engine = "whisper"
        public var modelDir: String?
        public var lm: String?
        public var dict: String?
        public var padding = Seconds(0.200)
        public var maxSegment = Seconds(30)
        public var modelType = SherpaModelType.whisper
        public var language = ""
        public var model = ""
        public var workers = 1
        public var threads = 0

        public init() {}

        public func validate() throws(ParameterError) {
            guard Parameters.engines.contains(engine) else {
                throw ParameterError(key: "engine", "unknown engine '\(engine)'",
                                     hint: "engines: whisper (the default: an installed Whisper model, `vidpipe models list`), pocketsphinx (Debian's en-us model), sherpa (a Whisper, Moonshine or SenseVoice model directory) or openai (a server's /audio/transcriptions)")
            }
            if engine != "openai" && engine != "whisper" && !model.isEmpty {
                throw ParameterError(key: "model", "engine \(engine) takes no model name",
                                     hint: "pocketsphinx and sherpa take model_dir; engine whisper takes an installed model's name, engine openai a server's model")
            }
            if engine == "sherpa" && (modelDir ?? "").isEmpty {
                throw ParameterError(key: "model_dir", "engine sherpa needs the model directory you downloaded",
                                     hint: modelType.downloadHint)
            }
            for (key, value) in [("model_dir", modelDir), ("lm", lm), ("dict", dict)] where value?.isEmpty == true {
                throw ParameterError(key: key, "is empty", hint: "give a path, or leave the key out to use the default model")
            }
            try check(\.padding, 0...5)
            try check(\.maxSegment, 1...300)
            try check(\.workers, 1...16)
            try check(\.threads, 0...64)
            if engine == "whisper" { _ = try whisperSettings() }
        }

        /// The installed Whisper model and the language to decode with, checked: the model's
        /// manifest and file sizes, and the language against the model's languages.
        func whisperSettings() throws(ParameterError) -> WhisperTranscriber.Settings {
            let name = model.isEmpty ? WhisperModelFolder.defaultName : model
            let folder: WhisperModelFolder
            do {
                folder = try WhisperModelFolder.locate(name: name, directory: modelDir)
            } catch {
                throw ParameterError(key: modelDir == nil ? "model" : "model_dir", error.message, hint: error.hint)
            }
            let code = language.lowercased() == "auto" ? "" : language.lowercased()
            if !code.isEmpty && !folder.languages.contains(code) {
                let hint = folder.multilingual
                    ? "languages of \(folder.name): \(folder.languages.joined(separator: " ")), or auto"
                    : "\(folder.name) is English-only: use language en (or leave it out), or model whisper-base for other languages"
                throw ParameterError(key: "language", "\(folder.name) does not know the language '\(language)'", hint: hint)
            }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            return WhisperTranscriber.Settings(model: folder, language: folder.multilingual ? code : "en", workers: workers,
                                               threads: threads > 0 ? threads : max(1, cores / workers))
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("engine", \.engine, "whisper | pocketsphinx | sherpa | openai",
                           "speech recognizer: Whisper (an installed model, see `vidpipe models`), PocketSphinx (Debian's en-us model), "
                              + "sherpa-onnx with a downloaded model directory, or openai: each speech segment as a WAV to the stage's provider "
                              + "(POST /audio/transcriptions; faster-whisper, whisper.cpp or OpenAI servers)"),
            ParameterField("model", \.model, "string", defaultText: "whisper-tiny.en",
                           "whisper: an installed model's name (whisper-tiny.en, whisper-base); openai: the transcription model on the server "
                              + "(e.g. whisper-1; empty: the provider's `model`)"),
            ParameterField("model_dir", \.modelDir, "path", defaultText: "—",
                           "whisper: a folder written by scripts/models/convert-whisper.py (instead of `model`); pocketsphinx: acoustic "
                              + "model directory (default \(PocketSphinxModel.debianAcousticModel)); sherpa: the model directory (required)"),
            ParameterField("model_type", \.modelType, "whisper | moonshine | sense_voice",
                           "sherpa: the kind of model in model_dir"),
            ParameterField("language", \.language, "string",
                           "whisper: auto or empty = detect (multilingual models; English-only models always use en), or a code such as de "
                              + "to force it; sherpa and openai: the language hint for multilingual models"),
            ParameterField("workers", \.workers, "integer",
                           "whisper: speech packs decoded side by side for one video, each by its own recognizer (more memory: a model copy each)"),
            ParameterField("threads", \.threads, "integer",
                           "whisper: ONNX Runtime threads per recognizer; 0 = the machine's cores ÷ workers. A run keeps at most cores ÷ threads "
                              + "recognizers per model, shared by every video in flight"),
            ParameterField("lm", \.lm, "path", defaultText: PocketSphinxModel.debianLanguageModel, "pocketsphinx: n-gram language model (ARPA or binary)"),
            ParameterField("dict", \.dict, "path", defaultText: PocketSphinxModel.debianDictionary, "pocketsphinx: pronunciation dictionary"),
            ParameterField("padding", \.padding, "duration",
                           "audio added before and after each speech segment, so word edges are not cut"),
            ParameterField("max_segment", \.maxSegment, "duration",
                           "longer speech segments are cut into equal parts no longer than this (whisper: cut at the quietest moment "
                              + "before 28 s instead, and max_segment only bounds what is held in memory, at least 120 s)"),
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
        } else if parameters.engine == "whisper" {
            engine = .whisper(try parameters.whisperSettings())  // a missing or damaged model fails here, before decoding
        } else if parameters.engine == "sherpa", let directory = parameters.modelDir {
            _ = try parameters.modelType.locateFiles(in: directory)  // a missing file fails here, before decoding
            engine = .sherpa(directory: directory, type: parameters.modelType, language: parameters.language)
        } else {
            let model = parameters.pocketSphinxModel
            try model.check()  // a missing model fails here, before any decoding, naming the file
            engine = .pocketsphinx(model)
        }
        let maxLength = parameters.engine == "whisper" ? max(120, parameters.maxSegment.value) : parameters.maxSegment.value
        let windows = SpeechWindow.plan(segments, padding: parameters.padding.value,
                                        maxLength: maxLength, duration: context.info.duration)
        guard !windows.isEmpty else { return .compute { .transcript([]) } }
        return .audio(SpeechTranscribeSink(windows: windows, engine: engine))
    }
}
