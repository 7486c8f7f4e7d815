import Dispatch
import Foundation

/// A serial Dispatch queue with a bounded backlog: `submit` blocks the caller (the decode thread)
/// while `capacity` items are waiting, so a slow stage slows decoding instead of growing memory.
final class SerialWorker: @unchecked Sendable {  // `queue` serializes the work; the semaphore bounds the backlog
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore

    init(label: String, capacity: Int) {
        queue = DispatchQueue(label: label)
        slots = DispatchSemaphore(value: capacity)
    }

    /// Enqueues `work`, waiting for a free slot first.
    func submit(_ work: @escaping @Sendable () -> Void) {
        slots.wait()
        queue.async { [slots] in
            work()
            slots.signal()
        }
    }

    /// Runs `work` after everything already submitted and returns its result.
    func finish<T>(_ work: () throws -> T) rethrows -> T {
        try queue.sync(execute: work)
    }
}

/// A box that lets a non-Sendable value travel to the one queue that uses it.
final class QueueConfined<Value>: @unchecked Sendable {  // only touched on the owning SerialWorker's queue
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A lock-protected value.
public final class Locked<Value>: @unchecked Sendable {  // every access goes through `lock`
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    public var current: Value { withLock { $0 } }
}
