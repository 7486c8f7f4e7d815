import Synchronization

/// The error that stops a batch of work: the first one recorded, or with positions, the one at the
/// earliest position (so a parallel map throws exactly what a sequential loop would).
///
/// Workers call `attempt` around each job: a job whose position comes after a recorded error is
/// skipped, and what a job throws is recorded. The owner calls `check()` after waiting for the work.
public final class FirstError: Sendable {
    private let kept = Mutex<(error: any Error, position: Int)?>(nil)

    public init() {}

    /// Keeps `error` unless one at the same or an earlier position is already kept.
    public func record(_ error: any Error, at position: Int = 0) {
        kept.withLock { kept in
            if let current = kept, current.position <= position { return }
            kept = (error, position)
        }
    }

    /// The error kept so far, if any.
    public var error: (any Error)? { kept.withLock { $0?.error } }

    /// Whether work at `position` should be skipped: an error at that position or earlier is kept.
    public func stops(_ position: Int = 0) -> Bool {
        kept.withLock { ($0?.position).map { $0 <= position } ?? false }
    }

    /// Throws the kept error, if any.
    public func check() throws {
        if let error { throw error }
    }

    /// Runs `body` unless `stops(position)`; records what it throws.
    public func attempt(at position: Int = 0, _ body: () throws -> Void) {
        guard !stops(position) else { return }
        do { try body() } catch { record(error, at: position) }
    }
}
