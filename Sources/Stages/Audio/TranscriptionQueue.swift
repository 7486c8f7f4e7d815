import Workers

/// Speech jobs of one video run side by side on a `WorkerPool` (the engines block: a model server's
/// answer, sherpa-onnx's decode; none of it runs on Swift concurrency's pool). `submit` blocks while
/// `width` jobs are in flight, which holds back the audio pass, so memory stays bounded. The first
/// error wins: later jobs are skipped and `finish` throws it.
final class TranscriptionQueue: Sendable {
    private let pool: WorkerPool
    private let segments = Locked<[TranscriptSegment]>([])

    init(label: String, width: Int) {
        pool = WorkerPool(label: label, width: width)
    }

    /// Throws an earlier job's error at once; otherwise queues `job` once a lane is free.
    func submit(_ job: @escaping @Sendable () throws -> [TranscriptSegment]) throws {
        try pool.submit { [segments] _ in
            let found = try job()
            segments.withLock { $0 += found }
        }
    }

    /// Waits for every job submitted so far.
    func waitForAll() {
        pool.waitForAll()
    }

    /// Waits for every job, then returns their segments in time order (or the first error).
    func finish() throws -> [TranscriptSegment] {
        try pool.finish()
        return segments.current.sorted { $0.start < $1.start }
    }
}
