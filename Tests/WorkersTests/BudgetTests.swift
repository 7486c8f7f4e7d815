import Dispatch
import Foundation
import Testing
import Workers

@Suite("FairLimiter and CPUBudget")
struct BudgetTests {
    @Test func limiterNeverAdmitsMoreThanItsLimit() {
        let limiter = FairLimiter(limit: 3)
        let most = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<200 {
                limiter.withSlot {
                    let held = limiter.held
                    most.withLock { $0 = max($0, held) }
                }
            }
        }
        #expect(most.current <= 3)
        #expect(limiter.held == 0)
    }

    /// Waits (polling the limiter's state, not timing anything) until `count` callers are queued.
    private func waitUntil(_ limiter: FairLimiter, waiting count: Int) {
        while limiter.waiting < count { usleep(1000) }
    }

    @Test func limiterAdmitsInArrivalOrderEvenWhenALaterCallerWouldFit() {
        let limiter = FairLimiter(limit: 3)
        limiter.acquire(3)
        let order = Locked<[String]>([])
        let big = DispatchSemaphore(value: 0), small = DispatchSemaphore(value: 0)
        let releaseBig = DispatchSemaphore(value: 0)
        DispatchQueue(label: "test.big").async {
            limiter.acquire(3)
            order.withLock { $0.append("big") }
            big.signal()
            releaseBig.wait()
            limiter.release(3)
        }
        waitUntil(limiter, waiting: 1)
        DispatchQueue(label: "test.small").async {
            limiter.acquire(1)
            order.withLock { $0.append("small") }
            limiter.release(1)
            small.signal()
        }
        waitUntil(limiter, waiting: 2)
        limiter.release(1)
        // One unit is free and "small" wants one, but "big" came first.
        #expect(limiter.held == 2)
        #expect(limiter.waiting == 2)
        limiter.release(2)
        #expect(big.wait(timeout: .now() + .seconds(30)) == .success)
        #expect(limiter.waiting == 1)
        releaseBig.signal()
        #expect(small.wait(timeout: .now() + .seconds(30)) == .success)
        #expect(order.current == ["big", "small"])
        #expect(limiter.held == 0)
    }

    @Test func budgetBoundsBusyThreadsAcrossPools() {
        let budget = CPUBudget(threads: 2)
        let most = Locked(0)
        // Two "pools" of three lanes each: six threads want to compute, two may.
        runLanes(width: 2, label: "test.outer") { _ in
            runLanes(width: 3, label: "test.inner") { _ in
                for _ in 0..<50 {
                    budget.run {
                        let busy = budget.busy
                        most.withLock { $0 = max($0, busy) }
                    }
                }
            }
        }
        #expect(most.current <= 2)
        #expect(most.current >= 1)
        #expect(budget.busy == 0)
    }

    @Test func budgetClampsAWideRequestAndCountsItsUnits() {
        let budget = CPUBudget(threads: 2)
        let inside = budget.run(threads: 8) { budget.busy }
        #expect(inside == 2)
        #expect(budget.run(threads: 1) { budget.busy } == 1)
    }

    @Test func nestedRunOnOneThreadDoesNotWaitForItself() {
        let budget = CPUBudget(threads: 1)
        let value = budget.run { budget.run { budget.busy + 41 } }
        #expect(value == 42)
        #expect(budget.busy == 0)
    }

    @Test func sizeComesFromTheEnvironmentOrTheCores() {
        #expect(CPUBudget.defaultThreads(["VIDPIPE_CPUS": "3"]) == 3)
        #expect(CPUBudget.defaultThreads(["VIDPIPE_CPUS": "0"]) >= 1)
        #expect(CPUBudget.defaultThreads(["VIDPIPE_CPUS": "many"]) >= 1)
        #expect(CPUBudget.defaultThreads([:]) >= 1)
        #expect(CPUBudget.shared.threads >= 1)
    }
}
