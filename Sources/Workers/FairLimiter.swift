import Dispatch
import Synchronization

/// A blocking counting limiter: at most `limit` units are held at once, across every thread; callers
/// are admitted strictly in arrival order (a caller asking for many units is not overtaken by later
/// small ones), so nobody starves. Waiting callers block their thread; call from Dispatch queues or
/// threads, never from Swift concurrency's pool.
///
/// Written as a state machine under a `Mutex`: `acquire` and `release` decide under the lock and
/// wake waiters after it (each waiter sleeps on its own semaphore).
public final class FairLimiter: Sendable {
    private struct Waiter {
        var units: Int
        var wake: DispatchSemaphore
    }

    private struct State {
        var held = 0
        var waiting: [Waiter] = []
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        precondition(limit >= 1, "a limit below 1 admits nobody")
        self.limit = limit
    }

    /// Units held now.
    public var held: Int { state.withLock { $0.held } }

    /// Callers waiting to be admitted now.
    public var waiting: Int { state.withLock { $0.waiting.count } }

    /// Blocks until `units` (clamped to 1...limit) are free and every earlier caller has been admitted;
    /// the caller must `release` the same number once. Returns the units taken.
    @discardableResult
    public func acquire(_ units: Int = 1) -> Int {
        let units = min(max(1, units), limit)
        let wait: DispatchSemaphore? = state.withLock { state in
            if state.waiting.isEmpty && state.held + units <= limit {
                state.held += units
                return nil
            }
            let wake = DispatchSemaphore(value: 0)
            state.waiting.append(Waiter(units: units, wake: wake))
            return wake
        }
        wait?.wait()  // `release` counted our units in before waking us
        return units
    }

    public func release(_ units: Int = 1) {
        let units = min(max(1, units), limit)
        let admitted: [DispatchSemaphore] = state.withLock { state in
            state.held -= units
            var admitted: [DispatchSemaphore] = []
            while let first = state.waiting.first, state.held + first.units <= limit {
                state.held += first.units
                admitted.append(first.wake)
                state.waiting.removeFirst()
            }
            return admitted
        }
        for wake in admitted { wake.signal() }
    }

    /// Runs `body` holding `units`.
    public func withSlot<T, E: Error>(_ units: Int = 1, _ body: () throws(E) -> T) throws(E) -> T {
        let taken = acquire(units)
        defer { release(taken) }
        return try body()
    }
}
