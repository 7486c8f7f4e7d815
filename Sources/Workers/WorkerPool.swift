import Dispatch
import Synchronization

/// `width` lanes, each its own serial Dispatch queue, that run submitted jobs side by side. Serial
/// queues get a thread of their own at once even while other lanes block (unlike Dispatch's global
/// queues, whose blocked threads also starve Swift concurrency's pool on Linux), and nothing runs on
/// the cooperative pool: the jobs may block in C calls or on a server.
///
/// `submit` hands a job to an idle lane and blocks the caller while every lane is busy, which holds
/// back the producer (an audio pass, a stage sink) so memory stays bounded. A lane runs one job at a
/// time, so per-lane resources (an engine per lane) need no further locking between jobs. The first
/// error wins: later jobs are skipped, `submit` throws it at once and `finish` after waiting.
public final class WorkerPool: Sendable {
    public let width: Int
    private let lanes: [DispatchQueue]
    private let idle: Mutex<[Int]>
    private let free: DispatchSemaphore
    private let group = DispatchGroup()
    private let failure = FirstError()

    public init(label: String, width: Int) {
        self.width = max(1, width)
        lanes = (0..<self.width).map { DispatchQueue(label: "\(label).\($0)") }
        idle = Mutex(Array((0..<self.width).reversed()))
        free = DispatchSemaphore(value: self.width)
    }

    /// Whether a job has failed.
    public var failed: Bool { failure.error != nil }

    /// Throws an earlier job's error at once; otherwise runs `job` on an idle lane (passing the lane's
    /// index, 0..<width), waiting for one first.
    public func submit(_ job: @escaping @Sendable (_ lane: Int) throws -> Void) throws {
        try failure.check()
        free.wait()
        let lane = idle.withLock { $0.removeLast() }
        lanes[lane].async(group: group) { [self] in
            defer {
                idle.withLock { $0.append(lane) }
                free.signal()
            }
            failure.attempt { try job(lane) }
        }
    }

    /// Waits for every job submitted so far.
    public func waitForAll() {
        group.wait()
    }

    /// Waits for every job, then throws the first error one of them threw.
    public func finish() throws {
        group.wait()
        try failure.check()
    }
}
