import Foundation
import SherpaOnnx
import Workers

/// Loaded Whisper recognizers, kept for the life of the process so a run loads each model once,
/// not once per video. Keyed by model folder, language and threads; each key has at most
/// cores ÷ threads recognizers, shared by every video in flight, so `--jobs` multiplies neither the
/// memory nor the decoding threads. A recognizer is used by one thread at a time: `withRecognizer`
/// checks one out (loading a new one, on the calling Dispatch queue, while fewer than the limit
/// exist; otherwise waiting, first come first served, for one to come back) and returns it afterwards.
/// The decode itself runs inside the process's `CPUBudget`, holding one unit per ONNX Runtime thread.
final class WhisperRecognizers: Sendable {
    static let shared = WhisperRecognizers(cores: ProcessInfo.processInfo.activeProcessorCount)

    struct Key: Hashable, Sendable {
        var directory: String
        var language: String
        /// ONNX Runtime threads inside one recognizer.
        var threads: Int
    }

    /// A sherpa-onnx recognizer handle that moves between threads only through the pool's lock.
    // @unchecked Sendable: used by one thread at a time (checked out under a key's FairLimiter slot).
    final class Handle: @unchecked Sendable {
        let recognizer: SherpaOfflineRecognizer
        init(_ recognizer: SherpaOfflineRecognizer) { self.recognizer = recognizer }
    }

    let cores: Int
    /// Per key: one slot per recognizer that may exist; a caller holds one while it uses a recognizer.
    private let checkouts = Locked<[Key: FairLimiter]>([:])
    private let idle = Locked<[Key: [Handle]]>([:])

    init(cores: Int) {
        self.cores = max(1, cores)
    }

    /// How many recognizers of `key` may exist: one per `threads` cores.
    func limit(_ key: Key) -> Int { max(1, cores / max(1, key.threads)) }

    /// Runs `body` with a recognizer for `key` (blocking the calling thread while all are busy).
    func withRecognizer<T>(_ key: Key, _ body: (SherpaOfflineRecognizer) throws -> T) throws -> T {
        let limiter = checkouts.withLock { checkouts in
            if let limiter = checkouts[key] { return limiter }
            let limiter = FairLimiter(limit: limit(key))
            checkouts[key] = limiter
            return limiter
        }
        // Holding a slot, at most `limit` recognizers are checked out, so at most `limit` are ever created.
        return try limiter.withSlot {
            let handle = try idle.withLock { $0[key]?.popLast() } ?? Handle(load(key))
            defer { idle.withLock { $0[key, default: []].append(handle) } }
            return try CPUBudget.shared.run(threads: key.threads) { try body(handle.recognizer) }
        }
    }

    private func load(_ key: Key) throws -> SherpaOfflineRecognizer {
        try SherpaOfflineRecognizer(modelDirectory: key.directory, modelType: .whisper, language: key.language,
                                    threads: key.threads, tokenTimestamps: true, tailPaddings: WhisperPack.tailPaddingFrames)
    }
}
