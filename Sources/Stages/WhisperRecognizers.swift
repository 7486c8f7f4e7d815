import Foundation
import SherpaOnnx

/// Loaded Whisper recognizers, kept for the life of the process so a run loads each model once,
/// not once per video. Keyed by model folder and language; each key holds up to `width` idle
/// recognizers. A recognizer is used by one thread at a time: `withRecognizer` checks one out (or
/// loads a new one, on the calling Dispatch queue) and returns it afterwards.
final class WhisperRecognizers: @unchecked Sendable {  // `idle` is guarded by `lock`; a checked-out recognizer belongs to one thread
    static let shared = WhisperRecognizers()

    struct Key: Hashable, Sendable {
        var directory: String
        var language: String
    }

    /// A sherpa-onnx recognizer handle that moves between threads only through the pool's lock.
    final class Handle: @unchecked Sendable {  // used by one thread at a time (checked out under the pool's lock)
        let recognizer: SherpaOfflineRecognizer
        init(_ recognizer: SherpaOfflineRecognizer) { self.recognizer = recognizer }
    }

    private let lock = NSLock()
    private var idle: [Key: [Handle]] = [:]

    /// Runs `body` with a recognizer for `key`, loading one when none is idle.
    func withRecognizer<T>(_ key: Key, _ body: (SherpaOfflineRecognizer) throws -> T) throws -> T {
        let handle = try lock.withLock({ idle[key]?.popLast() }) ?? Handle(load(key))
        defer { lock.withLock { idle[key, default: []].append(handle) } }
        return try body(handle.recognizer)
    }

    private func load(_ key: Key) throws -> SherpaOfflineRecognizer {
        // One ONNX Runtime thread per recognizer: the stage runs several recognizers side by side,
        // which keeps both cores busy through the decoder's many small steps.
        try SherpaOfflineRecognizer(modelDirectory: key.directory, modelType: .whisper, language: key.language,
                                    threads: 1, tokenTimestamps: true, tailPaddings: WhisperPack.tailPaddingFrames)
    }
}
