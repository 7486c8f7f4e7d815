import Dispatch
import Foundation

/// Speech jobs of one video run side by side on a concurrent Dispatch queue (the engines block: a
/// model server's answer, sherpa-onnx's decode; none of it runs on Swift concurrency's pool).
/// `submit` blocks while `width` jobs are in flight, which holds back the audio pass, so memory
/// stays bounded. The first error wins: later jobs are skipped and `finish` throws it.
final class TranscriptionQueue: @unchecked Sendable {  // `segments` and `failure` are guarded by `lock`
    private let queue: DispatchQueue
    private let group = DispatchGroup()
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var segments: [TranscriptSegment] = []
    private var failure: (any Error)?

    init(label: String, width: Int) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
        slots = DispatchSemaphore(value: max(1, width))
    }

    /// Throws an earlier job's error at once; otherwise queues `job` once a slot is free.
    func submit(_ job: @escaping @Sendable () throws -> [TranscriptSegment]) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        slots.wait()
        group.enter()
        queue.async { [self] in
            defer { slots.signal(); group.leave() }
            guard lock.withLock({ failure == nil }) else { return }
            do {
                let found = try job()
                lock.withLock { segments += found }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits for every job submitted so far.
    func waitForAll() {
        group.wait()
    }

    /// Waits for every job, then returns their segments in time order (or the first error).
    func finish() throws -> [TranscriptSegment] {
        group.wait()
        return try lock.withLock {
            if let failure { throw failure }
            return segments.sorted { $0.start < $1.start }
        }
    }
}
