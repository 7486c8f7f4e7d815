import Dispatch

/// The blocking facade `ModelProvider` promises, over async work.
///
/// The work runs in an unstructured `Task` (on the cooperative pool, where the HTTP client's callbacks
/// resume it) while the calling thread waits on a semaphore. That is only safe when the caller is not a
/// cooperative-pool thread itself, which is why `ModelProvider` says: call from Dispatch queues or threads.
/// Blocking a pool thread here could starve the very tasks it waits for.
func runBlocking<T: Sendable, E: Error>(
    _ work: @escaping @Sendable () async throws(E) -> T
) throws(E) -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T, E>()
    Task {
        do throws(E) {
            box.result = .success(try await work())
        } catch {
            box.result = .failure(error)
        }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

// @unchecked Sendable: written once by the task before `signal()`, read by the waiter after `wait()`;
// the semaphore orders the two.
private final class ResultBox<T, E: Error>: @unchecked Sendable {
    var result: Result<T, E>?
}
