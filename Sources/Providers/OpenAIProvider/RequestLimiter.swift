import Foundation

/// A counting limiter for async callers: at most `limit` holders at once; waiters are served first come,
/// first served. Waiting suspends the task (it never blocks a thread).
// @unchecked Sendable: every stored property is read and written only under `lock`.
final class RequestLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var holders = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var waiterHead = 0

    init(limit: Int) {
        precondition(limit >= 1, "a limit below 1 admits nobody")
        self.limit = limit
    }

    /// Waits for a free slot; the caller must `release()` it exactly once.
    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if admitOrQueue(continuation) { continuation.resume() }
        }
    }

    /// Takes a free slot (true), or queues the continuation for `release` to resume (false).
    private func admitOrQueue(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if holders < limit {
            holders += 1
            return true
        }
        waiters.append(continuation)
        return false
    }

    func release() {
        lock.lock()
        if waiterHead < waiters.count {
            // The slot passes straight to the oldest waiter: `holders` stays as it is.
            let next = waiters[waiterHead]
            waiterHead += 1
            if waiterHead > 64, waiterHead * 2 > waiters.count {
                waiters.removeFirst(waiterHead)
                waiterHead = 0
            }
            lock.unlock()
            next.resume()
        } else {
            holders -= 1
            lock.unlock()
        }
    }

    /// Runs `body` holding a slot.
    func withSlot<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
