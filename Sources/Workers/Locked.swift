import Synchronization

/// A value behind a `Mutex`, in a class so that threads and escaping closures can share it.
///
/// Use it for state shared by closures (a counter captured by several workers); a class that owns its
/// state keeps a `Mutex<State>` as a stored property instead. Hold the lock briefly: never block, call
/// out to a C library or wait for other work inside `withLock`.
public final class Locked<Value>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with the value while holding the lock.
    public func withLock<T, E: Error>(_ body: (inout sending Value) throws(E) -> sending T) throws(E) -> sending T {
        try mutex.withLock(body)
    }
}

extension Locked where Value: Sendable {
    /// A copy of the value as it is now.
    public var current: Value { withLock { $0 } }
}
