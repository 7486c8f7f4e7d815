import Dispatch
import Testing
import Workers

@Suite("Locked, FirstError, IndexDispenser")
struct LockedTests {
    @Test func incrementsFromManyThreadsAreNotLost() {
        let count = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1000 { count.withLock { $0 += 1 } }
        }
        #expect(count.current == 8000)
    }

    @Test func withLockReturnsAndRethrows() throws {
        let box = Locked([1, 2, 3])
        let sum = box.withLock { values in values.reduce(0, +) }
        #expect(sum == 6)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try box.withLock { _ throws(Boom) in throw Boom() } }
        #expect(box.current == [1, 2, 3])
    }

    struct Numbered: Error, Equatable { var n: Int }

    @Test func firstErrorKeepsTheFirstRecorded() {
        let first = FirstError()
        #expect(first.error == nil)
        #expect(!first.stops())
        first.record(Numbered(n: 1))
        first.record(Numbered(n: 2))
        #expect(first.error as? Numbered == Numbered(n: 1))
        #expect(first.stops())
        #expect(throws: Numbered(n: 1)) { try first.check() }
    }

    @Test func firstErrorWithPositionsKeepsTheEarliestPosition() {
        let first = FirstError()
        first.record(Numbered(n: 20), at: 20)
        first.record(Numbered(n: 10), at: 10)
        first.record(Numbered(n: 15), at: 15)
        #expect(first.error as? Numbered == Numbered(n: 10))
        #expect(!first.stops(9))
        #expect(first.stops(10))
        #expect(first.stops(11))
    }

    @Test func attemptSkipsAfterAnErrorAndRecordsWhatItThrows() {
        let first = FirstError()
        var ran: [Int] = []
        first.attempt { ran.append(1) }
        first.attempt { ran.append(2); throw Numbered(n: 2) }
        first.attempt { ran.append(3) }
        #expect(ran == [1, 2])
        #expect(first.error as? Numbered == Numbered(n: 2))
    }

    @Test func indexDispenserHandsOutEachIndexOnce() {
        let dispenser = IndexDispenser(count: 500)
        let taken = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            while let i = dispenser.take() { taken.withLock { $0.append(i) } }
        }
        #expect(taken.current.sorted() == Array(0..<500))
        #expect(dispenser.take() == nil)
    }
}
