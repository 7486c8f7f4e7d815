import Foundation

/// A blocking counting limiter: at most `limit` holders at once, across every thread; waiters are admitted
/// strictly in arrival order (tickets), so no caller starves.
// @unchecked Sendable: every stored property is read and written only while `condition` is locked.
final class RequestLimiter: @unchecked Sendable {
    private let condition = NSCondition()
    private let limit: Int
    private var holders = 0
    private var nextTicket = 0
    private var nowServing = 0

    init(limit: Int) {
        precondition(limit >= 1, "a limit below 1 admits nobody")
        self.limit = limit
    }

    /// Blocks until a slot is free and every earlier caller has one; the caller must `release()` it once.
    func acquire() {
        condition.lock()
        let ticket = nextTicket
        nextTicket += 1
        while ticket != nowServing || holders >= limit { condition.wait() }
        nowServing += 1
        holders += 1
        // The next ticket may fit too.
        condition.broadcast()
        condition.unlock()
    }

    func release() {
        condition.lock()
        holders -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` holding a slot.
    func withSlot<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        acquire()
        defer { release() }
        return try body()
    }
}
