import Dispatch

/// Runs `body(lane)` for lanes 0..<width (at least one) at once, each on a serial Dispatch queue of
/// its own — a thread each, never the cooperative pool or the global queues, so the bodies may block —
/// and returns when all have; the caller only waits. For loops that take their work from a shared
/// `IndexDispenser`.
public func runLanes(width: Int, label: String, _ body: @escaping @Sendable (_ lane: Int) -> Void) {
    let group = DispatchGroup()
    for lane in 0..<max(1, width) {
        DispatchQueue(label: "\(label).\(lane)").async(group: group) { body(lane) }
    }
    group.wait()
}

/// Hands out 0, 1, 2, … below `count`, each once, in order, to whichever thread asks next.
public final class IndexDispenser: Sendable {
    private let next = Locked(0)
    public let count: Int

    public init(count: Int) {
        self.count = count
    }

    public func take() -> Int? {
        next.withLock { next in
            guard next < count else { return nil }
            next += 1
            return next - 1
        }
    }
}

/// `items.map(body)` on up to `width` threads (`runLanes`; the caller waits), results in input order.
///
/// Items start in input order. When one throws, no item after it starts; those in flight finish, and
/// the error thrown is the one at the earliest failing position — exactly what a sequential `map`
/// throws. With a non-throwing body (`E == Never`, say returning a `Result` per item) every item runs.
public func concurrentMap<T: Sendable, R: Sendable, E: Error>(
    _ items: [T], width: Int, label: String = "vidpipe.map",
    _ body: @escaping @Sendable (T) throws(E) -> R
) throws(E) -> [R] {
    let results = Locked<[Result<R, E>?]>(Array(repeating: nil, count: items.count))
    let failure = FirstError()
    let indices = IndexDispenser(count: items.count)
    runLanes(width: min(width, items.count), label: label) { _ in
        while let index = indices.take(), !failure.stops(index) {
            let result = Result { () throws(E) -> R in try body(items[index]) }
            if case .failure(let error) = result { failure.record(error, at: index) }
            results.withLock { $0[index] = result }
        }
    }
    // Every item before the earliest failure ran; items after it may not have.
    var out: [R] = []
    out.reserveCapacity(items.count)
    for result in results.current {
        guard let result else { preconditionFailure("an item was skipped although none before it failed") }
        out.append(try result.get())
    }
    return out
}
