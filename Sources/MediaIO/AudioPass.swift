internal import CFFmpeg
import Foundation

/// One decode of a file's audio stream, resampled to 16 kHz mono float32 and cut into chunks.
/// Owns its input and decoder (freed in deinit). Not Sendable: created and run on one Dispatch thread.
public final class AudioPass {
    public static let sampleRate = 16_000

    public let info: MediaInfo
    private let input: InputFile
    private let decoder: StreamDecoder
    /// True once a run has moved the read position; the next run starts again from the beginning.
    private var hasRun = false

    /// Opens the input, its best audio stream and that stream's decoder. Throws MediaError, also when the file has no audio
    /// stream (code 0, "no audio stream").
    public init(path: String) throws {
        (input, info, decoder) = try StreamDecoder.openBest(AVMEDIA_TYPE_AUDIO, named: "audio", path: path, threaded: false)
    }

    /// Decodes and resamples (swresample) to 16 kHz mono float32, delivering chunks of ~chunkSeconds in time order.
    public func run(chunkSeconds: Double = 2.0, shouldStop: () -> Bool = { false },
                    deliver: (AudioChunk) throws -> Void) throws -> PassReport {
        var report = PassReport()
        let decoder = self.decoder
        if hasRun { _ = decoder.seek(to: 0) }
        hasRun = true
        let resampler = try AudioResampler(codec: decoder.codec, outputRate: Int32(AudioPass.sampleRate),
                                           path: input.path)
        let chunkSize = max(1, Int((chunkSeconds * Double(AudioPass.sampleRate)).rounded()))
        var pending: [Float] = []
        pending.reserveCapacity(chunkSize)
        /// Media time of the first resampled sample; later samples follow it contiguously.
        var firstTime: Double? = nil
        var emitted = 0

        func flushChunk() throws {
            guard !pending.isEmpty else { return }
            let start = (firstTime ?? 0) + Double(emitted) / Double(AudioPass.sampleRate)
            let chunk = AudioChunk(startTime: start, sampleRate: AudioPass.sampleRate, samples: pending)
            emitted += pending.count
            report.deliveredSamples += pending.count
            pending = []
            pending.reserveCapacity(chunkSize)
            try deliver(chunk)
        }

        func take(_ samples: UnsafeBufferPointer<Float>) throws {
            var offset = 0
            while offset < samples.count {
                let n = min(chunkSize - pending.count, samples.count - offset)
                pending.append(contentsOf: samples[offset..<(offset + n)])
                offset += n
                if pending.count == chunkSize { try flushChunk() }
            }
        }

        func receiveAll() throws {
            while try decoder.receive() {
                report.decodedFrames += 1
                if firstTime == nil { firstTime = decoder.frameTime.map { max(0, $0) } ?? 0 }
                try resampler.convert(decoder.frame, path: input.path, take)
            }
        }

        var reachedEnd = false
        reading: while true {
            if shouldStop() { break }
            switch decoder.readPacket() {
            case .packet:
                try decoder.send()
                try receiveAll()
            case .endOfFile:
                reachedEnd = true
                break reading
            case .failed(let code):
                let at = (firstTime ?? 0) + Double(emitted + pending.count) / Double(AudioPass.sampleRate)
                report.warnings.append(StreamDecoder.readErrorWarning(at: at, code: code))
                reachedEnd = true
                break reading
            }
        }
        if reachedEnd {
            try decoder.send(endOfStream: true)
            try receiveAll()
            if report.decodedFrames > 0 { try resampler.convert(nil, path: input.path, take) }
        }
        try flushChunk()
        if let warning = decoder.rejectedPacketsWarning { report.warnings.append(warning) }
        if reachedEnd && report.decodedFrames == 0 {
            throw MediaError(code: 0, operation: "decode audio", path: input.path, message: "no audio could be decoded")
        }
        return report
    }
}
