import Foundation
import Testing
import TestSupport

/// The repository's own Slurm templates on a real one-node Slurm (Debian's slurmctld, slurmd, munge;
/// scripts/slurm/local-cluster.sh): a 3-task array over generated clips and its merge job. One task is
/// killed mid-run the first time; resubmitted alone, it resumes and the merge is run again. The merged
/// store must equal a one-machine run's, with every video processed by exactly one task.
@Suite("Slurm: the array template and its merge on a real cluster", .serialized)
struct SlurmTests {
    static var isRoot: Bool { getuid() == 0 }

    static func sh(_ command: String, cwd: String, env: [String: String]) throws -> String {
        try runCommand("bash", ["-c", command], environment: env, currentDirectory: cwd)
    }

    /// Starts the one-node cluster, spawned and reaped by pid (`ChildProcess`): Foundation's Process
    /// was seen never to return from a script whose grandchildren are daemons.
    static func startCluster(log: String) throws {
        let script = try ChildProcess(executable: "bash", arguments: [CLITests.packageRoot + "/scripts/slurm/local-cluster.sh", "start"],
                                      outputPath: log)
        let deadline = Date().addingTimeInterval(300)
        while script.isRunning && Date() < deadline { usleep(100_000) }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard !script.isRunning, script.exitDescription == "status 0" else {
            script.stop()
            throw CLITests.BinaryProblem(description: "local-cluster.sh start: \(script.exitDescription): \(output)")
        }
    }

    /// Waits until none of `jobs` is in the queue (pending or running).
    static func waitForJobs(_ jobs: [String], env: [String: String], timeout: Double = 600) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let queued = try runCommand("squeue", ["-h", "-o", "%i", "-j", jobs.joined(separator: ",")], environment: env)
            if queued.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            usleep(500_000)
        }
        throw CLITests.BinaryProblem(description: "Slurm jobs \(jobs) still queued after \(Int(timeout)) s")
    }

    @Test(.enabled(if: isRoot, "needs root to run slurmctld, slurmd and munged"))
    func arrayWithAKilledTaskResubmittedThenMergedEqualsOneMachine() throws {
        try CLITests.requireCurrentBinary()
        let tmp = try TemporaryDirectory()
        try Self.startCluster(log: tmp.path("cluster.log"))
        defer {
            // The daemons stop with the test (stopped by the PIDs in their pid files).
            let stop = try? ChildProcess(executable: "bash", arguments: [CLITests.packageRoot + "/scripts/slurm/local-cluster.sh", "stop"],
                                         outputPath: tmp.path("cluster.log"))
            let until = Date().addingTimeInterval(30)
            while stop?.isRunning == true && Date() < until { usleep(100_000) }
        }
        let archive = tmp.path("archive")
        for i in 0..<6 {
            try Fixture.hardCuts(at: "\(archive)/part\(i % 2)/clip\(i).mp4", shots: 2, shotSeconds: 0.6, size: "128x96",
                                 audio: true, variant: i)
        }
        try """
            version: 1
            name: slurm
            stages:
              shots:     { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
              segments:  { use: audio.segments }
            """.write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        // `vidpipe` on the tasks' PATH: the binary under test, killed (SIGKILL, mid-write) in task 1
        // the first time only.
        let bin = tmp.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try """
            #!/usr/bin/env bash
            if [ "$1" = run ] && [ "${SLURM_ARRAY_TASK_ID:-}" = 1 ] && [ ! -e "\(tmp.path("killed-once"))" ]; then
              touch "\(tmp.path("killed-once"))"
              export VIDPIPE_TEST_KILL_AT=2:mid
            fi
            exec "\(CLITests.binary)" "$@"
            """.write(toFile: bin + "/vidpipe", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin + "/vidpipe")
        let shared = tmp.path("shared")
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                   "PIPELINE": tmp.path("p.yml"), "ARCHIVE": archive, "SHARED": shared, "VIDPIPE_SHARD_COUNT": "3",
                   "TMPDIR": tmp.path("local")]
        try FileManager.default.createDirectory(atPath: tmp.path("local"), withIntermediateDirectories: true)
        let slurm = CLITests.packageRoot + "/deploy/slurm"
        let small = "--cpus-per-task=1 --mem=500M"

        // The array and its merge, as deploy/slurm/submit.sh submits them.
        let submitted = try Self.sh("\(slurm)/submit.sh --array=0-2 \(small)", cwd: tmp.url.path, env: env)
        let ids = submitted.split(whereSeparator: { !$0.isNumber }).map(String.init)
        #expect(ids.count == 2, "\(submitted)")
        try Self.waitForJobs(ids, env: env)
        // Task 1 was killed mid-write: it published what it had committed, and the merge took that.
        let published = try FileManager.default.contentsOfDirectory(atPath: shared).filter { $0.hasSuffix(".sqlite") }.sorted()
        #expect(published == ["all.sqlite", "shard-0.sqlite", "shard-1.sqlite", "shard-2.sqlite"], "\(published)")
        let firstMerge = try CLITests.count("\(shared)/all.sqlite", "SELECT count(*) FROM stage_results WHERE status = 'done'")
        #expect(firstMerge < 18, "task 1 should not have finished: \(firstMerge) stage results")

        // Resubmit the task that did not finish, then the merge again.
        let again = try Self.sh("sbatch --parsable --array=1 \(small) \(slurm)/vidpipe-array.sbatch", cwd: tmp.url.path, env: env)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.waitForJobs([again], env: env)
        let merge = try Self.sh("sbatch --parsable \(small) \(slurm)/vidpipe-merge.sbatch", cwd: tmp.url.path, env: env)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.waitForJobs([merge], env: env)

        // Every video in exactly one shard; the merged store equals one machine's run.
        var seen: [String] = []
        for i in 0..<3 {
            seen += try runCommand("sqlite3", ["\(shared)/shard-\(i).sqlite", "SELECT path FROM videos"])
                .split(separator: "\n").map(String.init)
        }
        #expect(seen.count == 6 && Set(seen).count == 6, "\(seen)")
        #expect(try CLITests.count("\(shared)/all.sqlite", "SELECT count(*) FROM stage_results WHERE status = 'done'") == 18)
        let single = tmp.path("single.sqlite")
        #expect(try CLITests.vidpipe(["run", tmp.path("p.yml"), archive, "--db", single]).status == 0)
        #expect(try CLITests.dump("\(shared)/all.sqlite") == CLITests.dump(single))
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path("logs"))) ?? []
        #expect(logs.count >= 5, "\(logs)")
    }
}
