import Dispatch
import Testing
import Workers

@Suite("SerialWorker and Confined")
struct SerialWorkerTests {
    @Test func runsWorkInOrderAndFinishWaitsForIt() {
        let worker = SerialWorker(label: "test.serial", capacity: 2)
        let seen = worker.confine([Int]())
        for i in 0..<100 {
            worker.submit { seen.value.append(i) }
        }
        let values = worker.finish { seen.value }
        #expect(values == Array(0..<100))
    }

    @Test func submitBlocksWhileTheBacklogIsFull() {
        let worker = SerialWorker(label: "test.backlog", capacity: 1)
        let gate = DispatchSemaphore(value: 0)
        let submitted = Locked(0)
        worker.submit { gate.wait() }  // occupies the only slot until released
        let producer = DispatchQueue(label: "test.producer")
        let producerDone = DispatchSemaphore(value: 0)
        producer.async {
            worker.submit {}
            submitted.withLock { $0 += 1 }
            producerDone.signal()
        }
        // The second submit cannot return while the first job holds the slot.
        #expect(producerDone.wait(timeout: .now() + .milliseconds(200)) == .timedOut)
        #expect(submitted.current == 0)
        gate.signal()
        #expect(producerDone.wait(timeout: .now() + .seconds(30)) == .success)
        worker.finish {}
        #expect(submitted.current == 1)
    }

    @Test func confinedValueIsReadableInFinish() {
        let worker = SerialWorker(label: "test.confined", capacity: 4)
        let box = worker.confine("start")
        worker.submit { box.value += "+job" }
        #expect(worker.finish { box.value } == "start+job")
    }

    @Test func touchingAConfinedValueOffItsQueueStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            let worker = SerialWorker(label: "test.confined.off-queue", capacity: 1)
            let box = worker.confine(1)
            _ = box.value
        }
    }
}
