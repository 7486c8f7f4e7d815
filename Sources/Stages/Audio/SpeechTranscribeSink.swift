import Foundation
import Workers
import MediaIO
import PocketSphinxASR
import SherpaOnnx

/// Walks the audio track chunk by chunk and transcribes each speech window as soon as its samples
/// are complete, keeping only the samples from the start of the next window on: memory is bounded
/// by the longest window, not by the track. Used on the audio pass's serial queue only; the
/// recognizer is loaded there on the first chunk.
final class SpeechTranscribeSink: AudioChunkSink {
    /// The recognizer to load (on the sink's queue, at the first speech window).
    enum Engine {
        case pocketsphinx(PocketSphinxModel)
        case sherpa(directory: String, type: SherpaModelType, language: String)
        /// Whisper: windows packed into ≤ 28-s inputs, decoded by several recognizers side by side.
        case whisper(WhisperTranscriber.Settings)
        /// A model server: windows are uploaded as they complete, a few at a time; results gathered at `finish`.
        case remote(RemoteTranscriber)
    }

    private let windows: [SpeechWindow]
    private let engine: Engine
    private var recognizer: PocketSphinxRecognizer?
    private var sherpa: SherpaTranscriber?
    private var whisper: WhisperTranscriber?
    private var pack = WhisperPack()
    private let rate = PocketSphinxRecognizer.sampleRate
    /// Index in `windows` of the next window to transcribe.
    private var next = 0
    /// Samples from `bufferStart` (a sample index from media time 0) on.
    private var buffer: [Float] = []
    private var bufferStart: Int?
    private var segments: [TranscriptSegment] = []
    /// Largest number of samples held at once (for tests of the memory bound).
    private(set) var peakBufferedSamples = 0

    init(windows: [SpeechWindow], engine: Engine) {
        self.windows = windows
        self.engine = engine
    }

    func consume(_ chunk: AudioChunk) throws {
        guard chunk.sampleRate == rate else {
            throw PocketSphinxError(operation: "decode", "audio arrives at \(chunk.sampleRate) Hz; the recognizer needs \(rate) Hz")
        }
        guard next < windows.count else { return }
        let chunkStart = Int((chunk.startTime * Double(rate)).rounded())
        let start = bufferStart ?? chunkStart
        bufferStart = start
        let bufferEnd = start + buffer.count
        var samples = chunk.samples[...]
        if chunkStart > bufferEnd {
            buffer += repeatElement(0, count: chunkStart - bufferEnd)  // a gap in the track is silence
        } else if chunkStart < bufferEnd {
            samples = samples.dropFirst(bufferEnd - chunkStart)  // already have these
        }
        buffer += samples
        peakBufferedSamples = max(peakBufferedSamples, buffer.count)
        try drain(final: false)
    }

    func finish() throws -> StageOutput {
        try drain(final: true)
        if case .remote(let remote) = engine { segments += try remote.finish() }
        if let whisper {
            try whisper.submit(pack)
            pack = WhisperPack()
            segments += try whisper.finish()
        }
        return .transcript(segments)
    }

    var note: String? { whisper?.note }

    /// Transcribes every window whose samples are all buffered (at the end: whatever is there), then
    /// drops the samples before the next window.
    private func drain(final: Bool) throws {
        let start = bufferStart ?? 0
        let bufferEnd = start + buffer.count
        while next < windows.count {
            let window = windows[next]
            let range = sampleRange(window)
            if !final && range.upperBound > bufferEnd { break }
            let from = max(range.lowerBound, start), to = min(range.upperBound, bufferEnd)
            let samples = to > from ? Array(buffer[(from - start)..<(to - start)]) : []
            try transcribe(samples, startTime: Double(from) / Double(rate), window: window)
            next += 1
        }
        let keepFrom = next < windows.count ? sampleRange(windows[next]).lowerBound : bufferEnd
        let drop = min(buffer.count, max(0, keepFrom - start))
        buffer.removeFirst(drop)
        bufferStart = start + drop
    }

    private func transcribe(_ samples: [Float], startTime: Double, window: SpeechWindow) throws {
        guard !samples.isEmpty else { return }
        if case .remote(let remote) = engine {
            remote.submit(samples: samples, sampleRate: rate, start: startTime)
            return
        }
        if case .whisper(let settings) = engine {
            let transcriber = whisper ?? WhisperTranscriber(settings: settings)
            whisper = transcriber
            for part in WhisperPack.parts(of: samples) {
                if !pack.fits(part.count) {
                    try transcriber.submit(pack)
                    pack = WhisperPack()
                }
                pack.append(samples[part], mediaStart: startTime + Double(part.lowerBound) / Double(rate))
            }
            return
        }
        if case .sherpa(let directory, let type, let language) = engine {
            if sherpa == nil { sherpa = try SherpaTranscriber(modelDirectory: directory, modelType: type, language: language) }
            segments += try sherpa?.transcribe(samples: samples, start: startTime) ?? []
            return
        }
        if recognizer == nil, case .pocketsphinx(let model) = engine { recognizer = try PocketSphinxRecognizer(model: model) }
        guard let recognizer else { return }
        let heard = try CPUBudget.shared.run { try recognizer.recognize(samples: samples, startTime: startTime) }
        guard !heard.text.isEmpty else { return }
        let words = heard.words.map { WordTiming(word: $0.word, start: $0.start, end: $0.end, confidence: $0.confidence) }
        segments.append(TranscriptSegment(start: words.first?.start ?? heard.start, end: words.last?.end ?? heard.end,
                                          text: heard.text, confidence: heard.confidence, words: words))
    }

    private func sampleRange(_ window: SpeechWindow) -> Range<Int> {
        let first = Int((window.start * Double(rate)).rounded())
        return first..<max(first, Int((window.end * Double(rate)).rounded()))
    }
}
