internal import CSherpaOnnx
import Foundation

/// Non-streaming speech recognition with a Whisper, Moonshine or SenseVoice model directory the
/// user downloaded, through sherpa-onnx's C API. Owns one recognizer handle; not Sendable: use
/// one instance on one serial queue. `recognize` blocks for the whole decode.
public final class SherpaOfflineRecognizer {
    /// One output token (a word piece), with its time where the model gives one.
    public struct Token: Sendable, Equatable {
        public var text: String
        /// Media time of the token's start, seconds; nil when the model gives no timestamps.
        public var start: Double?
        /// Seconds; nil when the model gives no durations.
        public var duration: Double?
        /// Natural log of the token's probability, where the model gives it.
        public var logProbability: Double?
        public init(text: String, start: Double?, duration: Double? = nil, logProbability: Double? = nil) {
            self.text = text
            self.start = start
            self.duration = duration
            self.logProbability = logProbability
        }
    }

    public struct Recognition: Sendable, Equatable {
        public var text: String
        public var tokens: [Token]
        /// The language the model reports (SenseVoice, multilingual Whisper), e.g. "<|en|>".
        public var language: String?
        public init(text: String, tokens: [Token], language: String?) {
            self.text = text
            self.tokens = tokens
            self.language = language
        }
    }

    public static let sampleRate = 16_000

    public let modelType: SherpaModelType
    public let modelDirectory: String
    /// The files loaded, by C config field name.
    public let files: [String: String]

    private let handle: OpaquePointer

    /// Checks `modelDirectory` for the files `modelType` needs (throwing an error that lists the
    /// missing ones and where to download a model) before loading anything, then loads the model.
    /// `language`: a hint such as "en" (Whisper: empty = detect; SenseVoice: empty = "auto";
    /// Moonshine: ignored, its models are single-language). `tokenTimestamps` (Whisper): a start and
    /// duration per token from the decoder's cross-attention (the model must export the alignment
    /// heads' weights, as vidpipe's converter does). `tailPaddings` (Whisper): silent feature frames
    /// (10 ms each) appended so the model finds the end of the text; 0 = sherpa-onnx's default.
    public init(modelDirectory: String, modelType: SherpaModelType, language: String = "", threads: Int = 1,
                tokenTimestamps: Bool = false, tailPaddings: Int = 0)
        throws(SherpaOnnxError) {
        guard (1...64).contains(threads) else {
            throw SherpaOnnxError(.invalidSetting, "threads \(threads) is outside 1...64")
        }
        let files = try modelType.locateFiles(in: modelDirectory)
        self.modelType = modelType
        self.modelDirectory = modelDirectory
        self.files = files
        let created = CStrings([
            files["encoder"], files["decoder"], files["tokens"], files["preprocessor"],
            files["uncached_decoder"], files["cached_decoder"], files["model"],
            language, modelType == .senseVoice && language.isEmpty ? "auto" : language,
            "transcribe", "cpu", "greedy_search",
        ]).withPointers { p -> OpaquePointer? in
            var config = SherpaOnnxOfflineRecognizerConfig()
            config.feat_config.sample_rate = Int32(Self.sampleRate)
            config.feat_config.feature_dim = 80
            config.model_config.tokens = p[2]
            config.model_config.num_threads = Int32(threads)
            config.model_config.provider = p[10]
            config.model_config.debug = 0
            config.decoding_method = p[11]
            switch modelType {
            case .whisper:
                config.model_config.whisper.encoder = p[0]
                config.model_config.whisper.decoder = p[1]
                config.model_config.whisper.language = p[7]
                config.model_config.whisper.task = p[9]
                config.model_config.whisper.enable_token_timestamps = tokenTimestamps ? 1 : 0
                config.model_config.whisper.tail_paddings = Int32(max(0, tailPaddings))
            case .moonshine:
                config.model_config.moonshine.preprocessor = p[3]
                config.model_config.moonshine.encoder = p[0]
                config.model_config.moonshine.uncached_decoder = p[4]
                config.model_config.moonshine.cached_decoder = p[5]
            case .senseVoice:
                config.model_config.sense_voice.model = p[6]
                config.model_config.sense_voice.language = p[8]
                config.model_config.sense_voice.use_itn = 1
            }
            return SherpaOnnxCreateOfflineRecognizer(&config)
        }
        guard let created else {
            throw SherpaOnnxError(
                .engineFailed, "sherpa-onnx could not load the \(modelType.rawValue) model in \(modelDirectory)",
                hint: "check that the files are a sherpa-onnx export of a \(modelType.rawValue) model and not truncated; "
                    + modelType.downloadHint)
        }
        handle = created
    }

    deinit {
        SherpaOnnxDestroyOfflineRecognizer(handle)
    }

    /// Recognises one utterance (16 kHz mono, -1...1; Whisper reads at most 30 s). Token times
    /// are offset by `startTime`, so they are media times when it is the samples' media time.
    public func recognize(samples: [Float], startTime: Double = 0) throws(SherpaOnnxError) -> Recognition {
        guard !samples.isEmpty else { return Recognition(text: "", tokens: [], language: nil) }
        guard let stream = SherpaOnnxCreateOfflineStream(handle) else {
            throw SherpaOnnxError(.engineFailed, "sherpa-onnx could not create a decoding stream")
        }
        defer { SherpaOnnxDestroyOfflineStream(stream) }
        samples.withUnsafeBufferPointer { buffer in
            SherpaOnnxAcceptWaveformOffline(stream, Int32(Self.sampleRate), buffer.baseAddress, Int32(buffer.count))
        }
        SherpaOnnxDecodeOfflineStream(handle, stream)
        guard let result = SherpaOnnxGetOfflineStreamResult(stream) else {
            throw SherpaOnnxError(.engineFailed, "sherpa-onnx returned no result for a \(samples.count)-sample utterance")
        }
        defer { SherpaOnnxDestroyOfflineRecognizerResult(result) }
        let r = result.pointee
        var tokens: [Token] = []
        for i in 0..<Int(max(0, r.count)) {
            guard let text = r.tokens_arr?[i] else { continue }
            tokens.append(Token(text: String(cString: text),
                                start: r.timestamps.map { startTime + Double($0[i]) },
                                duration: r.durations.map { Double($0[i]) },
                                logProbability: r.ys_log_probs.map { Double($0[i]) }))
        }
        let language = r.lang.map { String(cString: $0) }
        return Recognition(text: r.text.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "",
                           tokens: tokens, language: language?.isEmpty == false ? language : nil)
    }
}
