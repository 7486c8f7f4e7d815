import Dispatch

/// A serial Dispatch queue with a bounded backlog: `submit` blocks the caller (a decoding thread, say)
/// while `capacity` items are waiting, so a slow consumer slows its producer instead of growing memory.
/// Values that belong to the queue live in `Confined` boxes made by `confine`, which check on every
/// access that they are on it. Behind every frame pass (MediaIO's `ConversionQueue`) and every stage
/// sink (Pipeline's `MediaPassRunner`).
public final class SerialWorker: Sendable {
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore

    public init(label: String, capacity: Int) {
        queue = DispatchQueue(label: label)
        slots = DispatchSemaphore(value: max(1, capacity))
    }

    /// Enqueues `work`, waiting for a free slot first.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        slots.wait()
        queue.async { [slots] in
            work()
            slots.signal()
        }
    }

    /// Runs `work` on the queue after everything already submitted and returns its result.
    public func finish<T>(_ work: () throws -> T) rethrows -> T {
        try queue.sync(execute: work)
    }

    /// A box for `value` that may be read and written only on this worker's queue (in submitted work
    /// or in `finish`); it can travel to other threads, but touching it there stops the process.
    public func confine<Value>(_ value: Value) -> Confined<Value> {
        Confined(value, queue: queue)
    }
}

/// A value owned by one serial queue: made anywhere, then read and written only on that queue, which
/// every access checks with `dispatchPrecondition`. Made by `SerialWorker.confine`.
// @unchecked Sendable: `stored` is touched only on `queue`; every access checks it with dispatchPrecondition.
public final class Confined<Value>: @unchecked Sendable {
    private let queue: DispatchQueue
    private var stored: Value

    init(_ value: Value, queue: DispatchQueue) {
        self.queue = queue
        stored = value
    }

    public var value: Value {
        get {
            dispatchPrecondition(condition: .onQueue(queue))
            return stored
        }
        set {
            dispatchPrecondition(condition: .onQueue(queue))
            stored = newValue
        }
    }
}
