import Dispatch
import Foundation
import ModelAPI

/// Speech windows to a server's `/audio/transcriptions`, one WAV each, a few uploads at a time
/// on a `TranscriptionQueue` (`submit` blocks only while `maxPending` are already queued, so the
/// audio pass keeps memory bounded); `finish` waits for all and returns the segments in time order.
final class RemoteTranscriber: Sendable {
    private let provider: any ModelProvider
    private let model: String?
    private let language: String?
    private let jobs: TranscriptionQueue

    init(provider: any ModelProvider, model: String?, language: String?, maxPending: Int = 4) {
        self.provider = provider
        self.model = model
        self.language = language
        jobs = TranscriptionQueue(label: "vidpipe.remote-transcribe", width: maxPending)
    }

    func submit(samples: [Float], sampleRate: Int, start: Double) {
        let wav = WAVEncoder.pcm16(samples, sampleRate: sampleRate)
        let end = start + Double(samples.count) / Double(sampleRate)
        let request = TranscriptionRequest(model: model, wav: wav, language: language)
        // An earlier upload's error is thrown by `finish`.
        try? jobs.submit { [provider] in
            do {
                return Self.segments(try provider.transcribe(request), start: start, end: end)
            } catch {
                throw StageModelError("speech at \(VideoRecordText.seconds(start))–\(VideoRecordText.seconds(end)) s: "
                                      + "\((error as? ModelProviderError)?.message ?? String(describing: error))")
            }
        }
    }

    func finish() throws -> [TranscriptSegment] {
        try jobs.finish()
    }

    /// The server's answer in media time: its segments (with the words inside each), or one segment
    /// over the window when it gives only text.
    static func segments(_ result: TranscriptionResult, start: Double, end: Double) -> [TranscriptSegment] {
        let words = result.words.map {
            WordTiming(word: $0.text.trimmingCharacters(in: .whitespaces), start: start + $0.start, end: start + $0.end)
        }.filter { !$0.word.isEmpty }
        let spans = result.segments.filter { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        if spans.isEmpty {
            let text = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return [] }
            return [TranscriptSegment(start: words.first?.start ?? start, end: words.last?.end ?? end, text: text,
                                      confidence: nil, words: words)]
        }
        return spans.map { span in
            let s = start + span.start, e = min(end, start + span.end)
            let inside = words.filter { ($0.start + $0.end) / 2 >= s && ($0.start + $0.end) / 2 < e }
            return TranscriptSegment(start: s, end: max(s, e), text: span.text.trimmingCharacters(in: .whitespacesAndNewlines),
                                     confidence: nil, words: inside)
        }
    }
}

/// 16-bit PCM mono WAV (RIFF) bytes.
enum WAVEncoder {
    static func pcm16(_ samples: [Float], sampleRate: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(44 + samples.count * 2)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        let dataBytes = UInt32(samples.count * 2)
        out += Array("RIFF".utf8); u32(36 + dataBytes); out += Array("WAVE".utf8)
        out += Array("fmt ".utf8); u32(16); u16(1); u16(1); u32(UInt32(sampleRate)); u32(UInt32(sampleRate * 2)); u16(2); u16(16)
        out += Array("data".utf8); u32(dataBytes)
        for s in samples {
            let v = Int16(max(-1, min(1, s)) * 32767)
            u16(UInt16(bitPattern: v))
        }
        return out
    }
}
