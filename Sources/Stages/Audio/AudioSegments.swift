import Foundation
import MediaIO

/// `audio.segments`: splits the audio track into speech and silence.
public struct AudioSegments: StageType {
    public static let name = "audio.segments"
    public static let summary = "Split the audio track into speech and silence segments (energy with hysteresis)"
    public static let version = 1
    public static let inputKinds: [DataKind] = []
    public static let outputKind: DataKind = .audioSegments
    public static let media: MediaNeed = .audio

    public struct Parameters: StageParameters {
        public static let engines = ["energy"]

        public var engine = "energy"
        public var window = Seconds(0.020)
        public var speechDB: Double = -35
        public var hysteresisDB: Double = 6
        public var minSpeech = Seconds(0.200)
        public var minSilence = Seconds(0.400)

        public init() {}

        public func validate() throws(ParameterError) {
            guard Parameters.engines.contains(engine) else {
                throw ParameterError(key: "engine", "unknown engine '\(engine)'",
                                     hint: "'energy' is the only engine for now")
            }
            try check(\.window, 0.005...1)
            try check(\.speechDB, -100...0)
            try check(\.hysteresisDB, 0...40)
            try check(\.minSpeech, 0...60)
            try check(\.minSilence, 0...60)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("engine", \.engine, "energy", "segmentation method; energy is the only one for now"),
            ParameterField("window", \.window, "duration", "analysis window for the RMS level"),
            ParameterField("speech_db", \.speechDB, "number (dBFS)", "level at or above which speech starts"),
            ParameterField("hysteresis_db", \.hysteresisDB, "number (dB)",
                           "speech continues until the level falls this far below speech_db"),
            ParameterField("min_speech", \.minSpeech, "duration", "shorter speech runs count as silence"),
            ParameterField("min_silence", \.minSilence, "duration", "shorter quiet runs do not split speech"),
        ]

        var segmenterSettings: EnergySegmenter.Settings {
            var s = EnergySegmenter.Settings()
            s.window = window.value
            s.speechDB = speechDB
            s.hysteresisDB = hysteresisDB
            s.minSpeech = minSpeech.value
            s.minSilence = minSilence.value
            return s
        }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasAudio else { return .skip(reason: "no audio stream") }
        return .audio(AudioSegmentsSink(settings: parameters.segmenterSettings))
    }
}

/// Feeds audio chunks to an `EnergySegmenter`; used on the audio pass's serial queue only.
final class AudioSegmentsSink: AudioChunkSink {
    private let settings: EnergySegmenter.Settings
    private var segmenter: EnergySegmenter?

    init(settings: EnergySegmenter.Settings) {
        self.settings = settings
    }

    func consume(_ chunk: AudioChunk) throws {
        if segmenter == nil { segmenter = EnergySegmenter(settings: settings, sampleRate: chunk.sampleRate) }
        segmenter?.process(samples: chunk.samples, startTime: chunk.startTime)
    }

    func finish() throws -> StageOutput {
        .audioSegments(segmenter?.finish() ?? [])
    }
}
