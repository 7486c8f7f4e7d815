import Dispatch
import Testing
import Workers

@Suite("WorkerPool and concurrentMap")
struct WorkerPoolTests {
    struct Numbered: Error, Equatable { var n: Int }

    /// Counts jobs in flight and the lanes they hold; the first `width` jobs wait until all of them
    /// are in, which proves the lanes run side by side.
    final class Probe: Sendable {
        let width: Int
        let inFlight = Locked(0)
        let most = Locked(0)
        let busyLanes = Locked(Set<Int>())
        let laneClashes = Locked(0)
        let arrived = Locked(0)
        let allIn = DispatchSemaphore(value: 0)
        let barrierMet = Locked(0)

        init(width: Int) { self.width = width }

        func job(lane: Int, index: Int) {
            let now = inFlight.withLock { $0 += 1; return $0 }
            most.withLock { $0 = max($0, now) }
            if !busyLanes.withLock({ $0.insert(lane).inserted }) { laneClashes.withLock { $0 += 1 } }
            if index < width {
                if arrived.withLock({ $0 += 1; return $0 }) == width {
                    for _ in 0..<width { allIn.signal() }
                }
                if allIn.wait(timeout: .now() + .seconds(30)) == .success { barrierMet.withLock { $0 += 1 } }
            }
            busyLanes.withLock { _ = $0.remove(lane) }
            inFlight.withLock { $0 -= 1 }
        }
    }

    @Test func poolRunsWidthJobsAtOnceAndNeverMore() throws {
        let pool = WorkerPool(label: "test.pool", width: 3)
        let probe = Probe(width: 3)
        for index in 0..<12 {
            try pool.submit { lane in probe.job(lane: lane, index: index) }
        }
        try pool.finish()
        #expect(probe.barrierMet.current == 3)
        #expect(probe.most.current == 3)
        #expect(probe.laneClashes.current == 0)
    }

    @Test func poolFirstErrorWinsAndStopsLaterJobs() throws {
        let pool = WorkerPool(label: "test.pool.error", width: 1)
        let ran = Locked<[Int]>([])
        try pool.submit { _ in ran.withLock { $0.append(0) } }
        try pool.submit { _ in ran.withLock { $0.append(1) }; throw Numbered(n: 1) }
        pool.waitForAll()
        #expect(pool.failed)
        #expect(throws: Numbered(n: 1)) { try pool.submit { _ in ran.withLock { $0.append(2) } } }
        #expect(throws: Numbered(n: 1)) { try pool.finish() }
        #expect(ran.current == [0, 1])
    }

    @Test func mapKeepsInputOrder() throws {
        let squares = concurrentMap(Array(0..<200), width: 4) { $0 * $0 }
        #expect(squares == (0..<200).map { $0 * $0 })
        #expect(concurrentMap([Int](), width: 4) { $0 } == [])
    }

    @Test func mapRunsWidthItemsAtOnce() {
        let probe = Probe(width: 4)
        let lanes = concurrentMap(Array(0..<4), width: 4) { index in
            probe.job(lane: index, index: index)
            return index
        }
        #expect(lanes == [0, 1, 2, 3])
        #expect(probe.barrierMet.current == 4)
        #expect(probe.most.current == 4)
    }

    @Test func mapThrowsTheEarliestFailureLikeASequentialMap() {
        // Item 20 fails first in time; item 10 fails after it. A sequential map throws item 10's error.
        let twentyFailed = DispatchSemaphore(value: 0)
        #expect(throws: Numbered(n: 10)) {
            _ = try concurrentMap(Array(0..<40), width: 4) { (i: Int) throws(Numbered) -> Int in
                if i == 20 {
                    twentyFailed.signal()
                    throw Numbered(n: 20)
                }
                if i == 10 {
                    _ = twentyFailed.wait(timeout: .now() + .seconds(30))
                    throw Numbered(n: 10)
                }
                return i
            }
        }
    }

    @Test func mapStartsNothingAfterAFailure() {
        let started = Locked<[Int]>([])
        #expect(throws: Numbered(n: 5)) {
            _ = try concurrentMap(Array(0..<50), width: 1) { (i: Int) throws(Numbered) -> Int in
                started.withLock { $0.append(i) }
                if i == 5 { throw Numbered(n: 5) }
                return i
            }
        }
        #expect(started.current == Array(0...5))
    }

    @Test func mapWithResultsRunsEveryItem() {
        let results = concurrentMap(Array(0..<10), width: 3) { i -> Result<Int, Numbered> in
            i % 3 == 0 ? .failure(Numbered(n: i)) : .success(i)
        }
        #expect(results.count == 10)
        #expect(results.compactMap { try? $0.get() } == [1, 2, 4, 5, 7, 8])
    }
}
