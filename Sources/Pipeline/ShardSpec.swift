import Foundation

/// Which part of an archive one run processes: shard `index` of `count`, a file belonging to it by
/// a hash of its path below the input root (so every machine agrees, however the archive is mounted).
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// `I/N` (0-based), or `auto`: the scheduler's array task — Slurm (`SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN`, divided by `SLURM_ARRAY_TASK_STEP`, of `SLURM_ARRAY_TASK_COUNT`; or, when
    /// `VIDPIPE_SHARD_COUNT` is set, the task id itself of that count, which survives resubmitting a
    /// subset of the tasks) or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX` of `VIDPIPE_SHARD_COUNT`).
    public static func parse(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSpec {
        if text == "auto" { return try fromScheduler(environment) }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw Problem(description: "--shard takes I/N with 0 ≤ I < N, e.g. 0/4, or auto (got '\(text)')")
        }
        return ShardSpec(index: i, count: n)
    }

    static func fromScheduler(_ env: [String: String]) throws -> ShardSpec {
        func number(_ name: String) throws -> Int? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw Problem(description: "--shard auto: \(name)='\(text)' is not a number") }
            return value
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            // A fixed split: the task id is the shard (arrays from 0), so resubmitting a few tasks
            // (--array=3,17,42) keeps each one's shard.
            if let fixed = try number("VIDPIPE_SHARD_COUNT") {
                guard fixed >= 1, task >= 0, task < fixed else {
                    throw Problem(description: "--shard auto: Slurm array task \(task) is outside 0..<\(fixed) (VIDPIPE_SHARD_COUNT)")
                }
                return ShardSpec(index: task, count: fixed)
            }
            guard let count = try number("SLURM_ARRAY_TASK_COUNT") else {
                throw Problem(description: "--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
            }
            let first = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = max(1, try number("SLURM_ARRAY_TASK_STEP") ?? 1)
            let index = (task - first) / step
            guard (task - first) % step == 0, index >= 0, index < count else {
                throw Problem(description: "--shard auto: Slurm array task \(task) is not one of \(count) evenly spaced tasks from \(first) "
                              + "(step \(step)); submit a contiguous array such as --array=0-\(count - 1)%20, or pass --shard I/N")
            }
            return ShardSpec(index: index, count: count)
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count = try number("VIDPIPE_SHARD_COUNT"), count >= 1 else {
                throw Problem(description: "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but VIDPIPE_SHARD_COUNT is not; "
                              + "set it to the Job's completions")
            }
            guard index >= 0, index < count else {
                throw Problem(description: "--shard auto: JOB_COMPLETION_INDEX \(index) is outside 0..<\(count) (VIDPIPE_SHARD_COUNT)")
            }
            return ShardSpec(index: index, count: count)
        }
        throw Problem(description: "--shard auto: no array task found: run it as a Slurm array task (SLURM_ARRAY_TASK_ID, "
                      + "SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with VIDPIPE_SHARD_COUNT), "
                      + "or pass --shard I/N")
    }

    /// Whether `file` belongs to this shard: FNV-1a of its path below the input root.
    public func contains(_ file: InputFile) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in file.relativePath.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(count)) == index
    }
}
