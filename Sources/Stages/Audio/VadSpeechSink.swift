import Foundation
import MediaIO
import SherpaOnnx

/// Feeds the audio track to Silero VAD as chunks arrive (memory: the detector's window plus 100
/// levels per second), then builds padded speech/silence segments with their loudness. Used on
/// the audio pass's serial queue only; the detector is created there, on the first chunk.
final class VadSpeechSink: AudioChunkSink {
    private let settings: SileroVAD.Settings
    private let padding: Double
    private var vad: SileroVAD?
    private var levels = VadLevelTrack()
    private var origin: Double?

    init(settings: SileroVAD.Settings, padding: Double) {
        self.settings = settings
        self.padding = padding
    }

    func consume(_ chunk: AudioChunk) throws {
        guard chunk.sampleRate == SileroVAD.sampleRate else {
            throw SherpaOnnxError(.invalidSetting, "Silero VAD needs \(SileroVAD.sampleRate) Hz audio, got \(chunk.sampleRate) Hz")
        }
        if origin == nil { origin = chunk.startTime }
        if vad == nil { vad = try SileroVAD(settings: settings) }
        vad?.accept(chunk.samples)
        levels.add(chunk.samples)
    }

    func finish() throws -> StageOutput {
        guard let vad, let origin else { return .audioSegments([]) }
        let speech = vad.finish().map { (start: $0.start, end: $0.end) }
        let spans = VadTimeline.spans(speech: speech, duration: levels.duration, padding: padding)
        var segments = spans.map { span in
            AudioSegment(kind: span.kind, start: origin + span.start, end: origin + span.end,
                         loudnessDB: levels.loudnessDB(from: span.start, to: span.end))
        }
        // Like audio.segments: the timeline starts at zero even when the first sample is a little later.
        if !segments.isEmpty { segments[0].start = min(0, segments[0].start) }
        return .audioSegments(segments)
    }
}
