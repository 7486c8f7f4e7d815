import Dispatch
import Foundation

/// A box that lets a non-Sendable value travel to the one queue that uses it.
final class QueueConfined<Value>: @unchecked Sendable {  // only touched on the owning SerialWorker's queue
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A lock-protected value.
public final class Locked<Value>: @unchecked Sendable {  // every access goes through `lock`
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    public var current: Value { withLock { $0 } }
}
