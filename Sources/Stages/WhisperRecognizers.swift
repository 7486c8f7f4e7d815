import Foundation
import SherpaOnnx

/// Loaded Whisper recognizers, kept for the life of the process so a run loads each model once,
/// not once per video. Keyed by model folder and language; each key has at most `limit`
/// recognizers (one per core), shared by every video in flight, so `--jobs` does not multiply the
/// memory or the decoding threads. A recognizer is used by one thread at a time: `withRecognizer`
/// checks one out (loading a new one, on the calling Dispatch queue, while fewer than `limit`
/// exist; otherwise waiting for one to come back) and returns it afterwards.
final class WhisperRecognizers: @unchecked Sendable {  // `idle` and `created` are guarded by `condition`; a checked-out recognizer belongs to one thread
    static let shared = WhisperRecognizers(limit: ProcessInfo.processInfo.activeProcessorCount)

    struct Key: Hashable, Sendable {
        var directory: String
        var language: String
    }

    /// A sherpa-onnx recognizer handle that moves between threads only through the pool's lock.
    final class Handle: @unchecked Sendable {  // used by one thread at a time (checked out under the pool's condition)
        let recognizer: SherpaOfflineRecognizer
        init(_ recognizer: SherpaOfflineRecognizer) { self.recognizer = recognizer }
    }

    let limit: Int
    private let condition = NSCondition()
    private var idle: [Key: [Handle]] = [:]
    private var created: [Key: Int] = [:]

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Runs `body` with a recognizer for `key` (blocking the calling thread while all are busy).
    func withRecognizer<T>(_ key: Key, _ body: (SherpaOfflineRecognizer) throws -> T) throws -> T {
        condition.lock()
        while idle[key, default: []].isEmpty && created[key, default: 0] >= limit { condition.wait() }
        var handle = idle[key]?.popLast()
        if handle == nil { created[key, default: 0] += 1 }
        condition.unlock()
        if handle == nil {
            do {
                handle = Handle(try load(key))
            } catch {
                condition.lock()
                created[key, default: 1] -= 1
                condition.broadcast()
                condition.unlock()
                throw error
            }
        }
        let checkedOut = handle!
        defer {
            condition.lock()
            idle[key, default: []].append(checkedOut)
            condition.broadcast()  // waiters of every key share the condition
            condition.unlock()
        }
        return try body(checkedOut.recognizer)
    }

    private func load(_ key: Key) throws -> SherpaOfflineRecognizer {
        // One ONNX Runtime thread per recognizer: the stage runs several recognizers side by side,
        // which keeps both cores busy through the decoder's many small steps.
        try SherpaOfflineRecognizer(modelDirectory: key.directory, modelType: .whisper, language: key.language,
                                    threads: 1, tokenTimestamps: true, tailPaddings: WhisperPack.tailPaddingFrames)
    }
}
