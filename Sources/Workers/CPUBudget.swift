import Foundation

/// The process's one budget of busy compute threads.
///
/// Every CPU-heavy leaf of the pipeline — a Tesseract page, a Whisper decode (which holds as many
/// units as its recognizer has ONNX Runtime threads) — runs inside `run`, which holds units of the
/// budget for the duration of the blocking C call only. However many videos (`--jobs`), OCR
/// workers, Whisper workers or stage queues are in flight, at most `threads` such threads compute
/// at once; the pools' own widths bound only the work queued (memory), not the cores used.
///
/// Why it cannot deadlock: a unit is taken last, right before the computation, and given back right
/// after it; a holder never waits for anything else (no queue, no pool, no server, no other unit).
/// Coordinating threads — the `--jobs` workers, decoders, stage sinks, pool submitters, threads
/// waiting for a model server — hold no units, so nested work can always get one. A `run` nested
/// inside another on the same thread computes on the units the thread already holds.
///
/// Size: `VIDPIPE_CPUS` when set to a positive integer, else the machine's active cores.
public final class CPUBudget: Sendable {
    public static let shared = CPUBudget(threads: defaultThreads(ProcessInfo.processInfo.environment))

    /// Busy compute threads allowed at once.
    public let threads: Int
    private let limiter: FairLimiter

    public init(threads: Int) {
        self.threads = max(1, threads)
        limiter = FairLimiter(limit: self.threads)
    }

    /// `VIDPIPE_CPUS` when it is a positive integer, else the active processor count.
    public static func defaultThreads(_ environment: [String: String]) -> Int {
        if let text = environment["VIDPIPE_CPUS"], let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Units held now (threads computing inside `run`, weighted).
    public var busy: Int { limiter.held }

    /// Runs `body` (a blocking computation that waits for nothing else) holding `threads` units
    /// (clamped to the budget), after every earlier caller has been served.
    public func run<T, E: Error>(threads wanted: Int = 1, _ body: () throws(E) -> T) throws(E) -> T {
        let key = ObjectIdentifier(self)
        if Holding.contains(key) { return try body() }
        let taken = limiter.acquire(wanted)
        Holding.insert(key)
        defer {
            Holding.remove(key)
            limiter.release(taken)
        }
        return try body()
    }

    /// The budgets the current thread holds units of (so a nested `run` does not wait for itself).
    private enum Holding {
        private static let key = "vidpipe.cpu-budget"

        static func contains(_ budget: ObjectIdentifier) -> Bool {
            budgets.contains(budget)
        }

        static func insert(_ budget: ObjectIdentifier) { budgets = budgets.union([budget]) }
        static func remove(_ budget: ObjectIdentifier) { budgets = budgets.subtracting([budget]) }

        private static var budgets: Set<ObjectIdentifier> {
            get { Thread.current.threadDictionary[key] as? Set<ObjectIdentifier> ?? [] }
            set { Thread.current.threadDictionary[key] = newValue }
        }
    }
}
