import Foundation
import SherpaOnnx

/// Loaded Whisper recognizers, kept for the life of the process so a run loads each model once,
/// not once per video. Keyed by model folder, language and threads; each key has at most
/// cores ÷ threads recognizers, shared by every video in flight, so `--jobs` multiplies neither the
/// memory nor the decoding threads. A recognizer is used by one thread at a time: `withRecognizer`
/// checks one out (loading a new one, on the calling Dispatch queue, while fewer than the limit
/// exist; otherwise waiting for one to come back) and returns it afterwards.
final class WhisperRecognizers: @unchecked Sendable {  // `idle` and `created` are guarded by `condition`; a checked-out recognizer belongs to one thread
    static let shared = WhisperRecognizers(cores: ProcessInfo.processInfo.activeProcessorCount)

    struct Key: Hashable, Sendable {
        var directory: String
        var language: String
        /// ONNX Runtime threads inside one recognizer.
        var threads: Int
    }

    /// A sherpa-onnx recognizer handle that moves between threads only through the pool's lock.
    final class Handle: @unchecked Sendable {  // used by one thread at a time (checked out under the pool's condition)
        let recognizer: SherpaOfflineRecognizer
        init(_ recognizer: SherpaOfflineRecognizer) { self.recognizer = recognizer }
    }

    let cores: Int
    private let condition = NSCondition()
    private var idle: [Key: [Handle]] = [:]
    private var created: [Key: Int] = [:]

    init(cores: Int) {
        self.cores = max(1, cores)
    }

    /// How many recognizers of `key` may exist: one per `threads` cores.
    func limit(_ key: Key) -> Int { max(1, cores / max(1, key.threads)) }

    /// Runs `body` with a recognizer for `key` (blocking the calling thread while all are busy).
    func withRecognizer<T>(_ key: Key, _ body: (SherpaOfflineRecognizer) throws -> T) throws -> T {
        condition.lock()
        while idle[key, default: []].isEmpty && created[key, default: 0] >= limit(key) { condition.wait() }
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
        try SherpaOfflineRecognizer(modelDirectory: key.directory, modelType: .whisper, language: key.language,
                                    threads: key.threads, tokenTimestamps: true, tailPaddings: WhisperPack.tailPaddingFrames)
    }
}
