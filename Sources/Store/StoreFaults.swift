import Foundation
import Synchronization

/// Deterministic kill points for the crash-safety tests: with `VIDPIPE_TEST_KILL_AT=N:mid` the
/// process kills itself (SIGKILL, nothing flushed) inside the N-th stage-result write transaction,
/// after its rows are written and before it commits; with `N:after`, right after the N-th commits.
/// Unset (always, outside the tests), each call is one comparison.
enum StoreFaults {
    private static let plan: (write: Int, mid: Bool)? = {
        guard let spec = ProcessInfo.processInfo.environment["VIDPIPE_TEST_KILL_AT"] else { return nil }
        let parts = spec.split(separator: ":")
        guard let n = parts.first.flatMap({ Int($0) }), n > 0 else { return nil }
        return (n, parts.count > 1 && parts[1] == "mid")
    }()
    private static let writes = Atomic<Int>(0)

    /// Inside the write transaction, after the stage's rows and stage_results row are written.
    static func afterStageWrite() {
        guard let plan else { return }
        let n = writes.add(1, ordering: .relaxed).newValue
        if plan.mid && n == plan.write { kill(getpid(), SIGKILL) }
    }

    /// After the write transaction committed.
    static func afterCommit() {
        guard let plan, !plan.mid, writes.load(ordering: .relaxed) == plan.write else { return }
        kill(getpid(), SIGKILL)
    }
}
