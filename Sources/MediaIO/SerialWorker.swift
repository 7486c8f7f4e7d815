import Dispatch

/// A serial Dispatch queue with a bounded backlog: `submit` blocks the caller (the decode thread)
/// while `capacity` items are waiting, so a slow consumer slows decoding instead of growing memory.
/// Behind every frame pass (`ConversionQueue`) and every stage sink (Pipeline's `MediaPassRunner`).
package final class SerialWorker: @unchecked Sendable {  // `queue` serializes the work; the semaphore bounds the backlog
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore

    package init(label: String, capacity: Int) {
        queue = DispatchQueue(label: label)
        slots = DispatchSemaphore(value: capacity)
    }

    /// Enqueues `work`, waiting for a free slot first.
    package func submit(_ work: @escaping @Sendable () -> Void) {
        slots.wait()
        queue.async { [slots] in
            work()
            slots.signal()
        }
    }

    /// Runs `work` after everything already submitted and returns its result.
    package func finish<T>(_ work: () throws -> T) rethrows -> T {
        try queue.sync(execute: work)
    }
}
