import Foundation

/// Collects error descriptions from concurrently running test workers.
final class ErrorCollector: @unchecked Sendable {  // `messages` is only touched while holding `lock`
    private let lock = NSLock()
    private var messages: [String] = []

    func append(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        messages.append(message)
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }
}
