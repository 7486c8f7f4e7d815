internal import CSherpaOnnx
import Foundation

/// Silero voice activity detection through sherpa-onnx's C API, over 16 kHz mono float audio fed
/// in any pieces. Owns one detector handle; not Sendable: use one instance on one serial queue.
///
/// How sherpa-onnx segments (voice-activity-detector.cc, silero-vad-model.cc): a window counts as
/// speech when its probability exceeds `threshold`; speech starts once that has held for
/// `minSpeech`, and the segment start is moved back by `minSpeech` plus two windows to cover the
/// onset. Inside speech, probabilities above `threshold - 0.15` keep it going; speech ends once the
/// probability has stayed below `threshold` for `minSilence`, and the segment ends where that
/// silence began. So `minSilence` is both the shortest pause that splits speech and the delay
/// before a segment is reported. Past `maxSpeech` the detector closes the segment at the next
/// short dip (its threshold rises to 0.9 and its minimum silence drops to 0.1 s).
public final class SileroVAD {
    public struct Settings: Sendable, Equatable {
        /// Path to `silero_vad.onnx` (v4 or v5).
        public var model: String
        /// Speech probability above which a window is speech, 0...1.
        public var threshold: Double = 0.5
        /// Seconds of non-speech that end a speech segment.
        public var minSilence: Double = 0.5
        /// Seconds of speech needed before a segment starts; shorter bursts are ignored.
        public var minSpeech: Double = 0.25
        /// Seconds after which a long segment is closed at the next short pause.
        public var maxSpeech: Double = 20
        public init(model: String) { self.model = model }
    }

    /// A detected stretch of speech, in seconds from the first sample fed.
    public struct Segment: Sendable, Equatable {
        public var start: Double
        public var end: Double
    }

    /// The only sample rate Silero VAD accepts here.
    public static let sampleRate = 16_000
    /// Samples per analysis window (Silero v5 at 16 kHz requires 512: 32 ms).
    public static let windowSize = 512

    public let settings: Settings
    /// Segments detected so far, in time order.
    public private(set) var segments: [Segment] = []
    /// Samples fed so far.
    public private(set) var samplesFed = 0

    private let handle: OpaquePointer
    /// Samples not yet fed to the detector (fewer than one window after each `accept`).
    private var pending: [Float] = []

    /// Loads the model. Throws when the model file is missing or a setting is out of range; the
    /// checks run before sherpa-onnx sees the path, because it exits the process on an unreadable model.
    public init(settings: Settings) throws(SherpaOnnxError) {
        guard ModelFile.isUsable(settings.model) else {
            throw SherpaOnnxError(
                .modelMissing, "Silero VAD model not found at \(settings.model)",
                hint: "scripts/setup.sh installs it to /usr/local/share/vidpipe/models/silero_vad.onnx "
                    + "(from PyPI silero-vad); or point the stage's `model` at a silero_vad.onnx")
        }
        guard (0.0...1.0).contains(settings.threshold) else {
            throw SherpaOnnxError(.invalidSetting, "VAD threshold \(settings.threshold) is outside 0...1")
        }
        for (name, value) in [("minSilence", settings.minSilence), ("minSpeech", settings.minSpeech),
                              ("maxSpeech", settings.maxSpeech)] where !(value >= 0 && value.isFinite) {
            throw SherpaOnnxError(.invalidSetting, "VAD \(name) \(value) must be a non-negative number of seconds")
        }
        guard settings.maxSpeech > 0 else {
            // 0 would make every window exceed the limit, i.e. threshold 0.9 throughout.
            throw SherpaOnnxError(.invalidSetting, "VAD maxSpeech must be greater than zero")
        }
        self.settings = settings
        let created: OpaquePointer? = settings.model.withCString { model in
            "cpu".withCString { provider in
                var config = SherpaOnnxVadModelConfig()
                config.silero_vad.model = model
                config.silero_vad.threshold = Float(settings.threshold)
                config.silero_vad.min_silence_duration = Float(settings.minSilence)
                config.silero_vad.min_speech_duration = Float(settings.minSpeech)
                config.silero_vad.max_speech_duration = Float(settings.maxSpeech)
                config.silero_vad.window_size = Int32(SileroVAD.windowSize)
                config.sample_rate = Int32(SileroVAD.sampleRate)
                config.num_threads = 1
                config.provider = provider
                config.debug = 0
                // The detector copies the strings; its buffer grows when speech outlasts it.
                return SherpaOnnxCreateVoiceActivityDetector(&config, 30)
            }
        }
        guard let created else {
            throw SherpaOnnxError(.engineFailed, "sherpa-onnx could not create a voice activity detector from \(settings.model)",
                                  hint: "check that the file is a Silero VAD ONNX model (v4 or v5)")
        }
        handle = created
    }

    deinit {
        SherpaOnnxDestroyVoiceActivityDetector(handle)
    }

    /// Feeds the next samples (16 kHz mono, -1...1) in window-sized pieces and collects the
    /// segments the detector has closed. Blocks for the model's inference (about a millisecond per window).
    public func accept(_ samples: [Float]) {
        pending.append(contentsOf: samples)
        let window = SileroVAD.windowSize
        let whole = pending.count - pending.count % window
        guard whole > 0 else { return }
        pending.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < whole {
                SherpaOnnxVoiceActivityDetectorAcceptWaveform(handle, buffer.baseAddress! + offset, Int32(window))
                offset += window
            }
        }
        pending.removeFirst(whole)
        samplesFed += whole
        drain()
    }

    /// Feeds the remaining partial window, closes a segment still open at the end, and returns
    /// all segments. Call once, after the last `accept`.
    public func finish() -> [Segment] {
        if !pending.isEmpty {
            pending.withUnsafeBufferPointer { buffer in
                SherpaOnnxVoiceActivityDetectorAcceptWaveform(handle, buffer.baseAddress!, Int32(buffer.count))
            }
            samplesFed += pending.count
            pending.removeAll()
        }
        SherpaOnnxVoiceActivityDetectorFlush(handle)
        drain()
        return segments
    }

    /// Moves closed segments from the detector into `segments` (times only; their samples are freed).
    private func drain() {
        let rate = Double(SileroVAD.sampleRate)
        let total = Double(samplesFed + pending.count) / rate
        while SherpaOnnxVoiceActivityDetectorEmpty(handle) == 0 {
            guard let segment = SherpaOnnxVoiceActivityDetectorFront(handle) else { break }
            let valid = segment.pointee.start >= 0
            let start = max(0, Double(segment.pointee.start) / rate)
            let end = min(total, start + Double(segment.pointee.n) / rate)
            SherpaOnnxDestroySpeechSegment(segment)
            SherpaOnnxVoiceActivityDetectorPop(handle)
            if valid && end > start {
                segments.append(Segment(start: start, end: end))
            }
        }
    }
}
