import Foundation
import Pipeline
import Testing
import TestSupport

@Suite("Shards: --shard I/N and auto")
struct ShardTests {
    @Test func specsFromTheCommandLineAndTheSchedulers() throws {
        #expect(try ShardSpec.parse("2/5") == ShardSpec(index: 2, count: 5))
        for bad in ["5/5", "-1/3", "1/0", "x", "1/2/3", ""] {
            #expect(throws: ShardSpec.Problem.self) { try ShardSpec.parse(bad, environment: [:]) }
        }
        // Slurm arrays may start at 1 and step.
        #expect(try ShardSpec.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "200",
                                                          "SLURM_ARRAY_TASK_MIN": "0"]) == ShardSpec(index: 0, count: 200))
        #expect(try ShardSpec.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3",
                                                          "SLURM_ARRAY_TASK_MIN": "1"]) == ShardSpec(index: 2, count: 3))
        #expect(try ShardSpec.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_COUNT": "5",
                                                          "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_STEP": "2"]) == ShardSpec(index: 2, count: 5))
        // A resubmitted subset (--array=3,17) keeps its shards with a fixed count.
        #expect(try ShardSpec.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "17", "SLURM_ARRAY_TASK_COUNT": "2",
                                                          "SLURM_ARRAY_TASK_MIN": "3", "VIDPIPE_SHARD_COUNT": "200"]) == ShardSpec(index: 17, count: 200))
        #expect(try ShardSpec.parse("auto", environment: ["JOB_COMPLETION_INDEX": "7", "VIDPIPE_SHARD_COUNT": "20"])
                == ShardSpec(index: 7, count: 20))
        let none = #expect(throws: ShardSpec.Problem.self) { try ShardSpec.parse("auto", environment: [:]) }
        #expect(none?.description.contains("SLURM_ARRAY_TASK_ID") == true && none?.description.contains("JOB_COMPLETION_INDEX") == true)
        let k8s = #expect(throws: ShardSpec.Problem.self) { try ShardSpec.parse("auto", environment: ["JOB_COMPLETION_INDEX": "1"]) }
        #expect(k8s?.description.contains("VIDPIPE_SHARD_COUNT") == true)
        #expect(throws: ShardSpec.Problem.self) {
            try ShardSpec.parse("auto", environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "3"])
        }
    }

    /// The same folder reached through two paths (a symlink stands in for a second mount point):
    /// each file lands in the same shard both ways, every file in exactly one shard.
    @Test func membershipIsTheSameUnderEveryMount() throws {
        let tmp = try TemporaryDirectory()
        let names = (0..<40).map { "clips/sub\($0 % 3)/clip\($0).mp4" }
        for name in names {
            try FileManager.default.createDirectory(atPath: (tmp.path("a/" + name) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Data("x\(name)".utf8).write(to: URL(fileURLWithPath: tmp.path("a/" + name)))
        }
        try FileManager.default.createSymbolicLink(atPath: tmp.path("mnt"), withDestinationPath: tmp.path("a"))
        let scanner = InputScanner(extensions: ["mp4"], baseDirectory: tmp.url.path)
        let viaA = scanner.scan([tmp.path("a/clips")]).files, viaB = scanner.scan([tmp.path("mnt/clips")]).files
        let globbed = scanner.scan([tmp.path("mnt/clips/**/*.mp4")]).files
        #expect(viaA.count == 40 && viaB.count == 40 && globbed.count == 40)
        #expect(viaA.map(\.relativePath) == viaB.map(\.relativePath))
        #expect(viaA.map(\.relativePath) == globbed.map(\.relativePath))
        var seen = Set<String>()
        for index in 0..<3 {
            let shard = ShardSpec(index: index, count: 3)
            let a = viaA.filter(shard.contains).map(\.relativePath)
            #expect(a == viaB.filter(shard.contains).map(\.relativePath))
            #expect(seen.isDisjoint(with: a))
            seen.formUnion(a)
        }
        #expect(seen.count == 40)
    }

    /// Three Slurm array tasks (numbered from 1) each take their files into their own store, every
    /// file once; the runs record their shard; a store is not resumed with another split.
    @Test func autoShardsFromSlurmCoverEveryFileOnceAndKeepTheirSplit() throws {
        let tmp = try TemporaryDirectory()
        for i in 0..<6 { try Fixture.hardCuts(at: tmp.path("v/c\(i).mp4"), shots: 1, shotSeconds: 0.5, size: "96x64", variant: i) }
        try "version: 1\nname: s\nstages:\n  shots: { use: shots.detect }\n".write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        var processed: [String] = []
        for task in 1...3 {
            let db = tmp.path("shard-\(task).sqlite")
            let env = ["SLURM_ARRAY_TASK_ID": "\(task)", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"]
            let r = try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", db, "--shard", "auto"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("vidpipe: shard \(task - 1)/3: "))
            processed += try runCommand("sqlite3", [db, "SELECT path FROM videos"]).split(separator: "\n").map(String.init)
            #expect(try runCommand("sqlite3", [db, "SELECT shard_index || '/' || shard_count FROM runs"]) == "\(task - 1)/3\n")
        }
        #expect(processed.sorted() == (0..<6).map { tmp.path("v/c\($0).mp4") })

        // Watched as a whole: status sums the shards (a quoted glob, or the names).
        let summed = try CLITests.vidpipe(["status", tmp.path("shard-*.sqlite"), "--json"])
        #expect(summed.status == 0, "\(summed.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(summed.stdout.utf8)) as? [String: Any]
        #expect((report?["videos"] as? [String: Int])?["done"] == 6)
        #expect((report?["stages"] as? [[String: Any]])?.first?["done"] as? Int == 6)
        let listed = try CLITests.vidpipe(["status", tmp.path("shard-1.sqlite"), tmp.path("shard-2.sqlite")])
        #expect(listed.stdout.hasPrefix("stores: 2 (shard-1.sqlite, shard-2.sqlite)"), "\(listed.stdout)")

        // Published atomically to a "shared" folder, and copied back: the same store.
        try FileManager.default.createDirectory(atPath: tmp.path("shared"), withIntermediateDirectories: true)
        let published = try CLITests.vidpipe(["snapshot", "--db", tmp.path("shard-1.sqlite"), "--into", tmp.path("shared/shard-1.sqlite")])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path("shared")) == ["shard-1.sqlite"])
        #expect(try runCommand("sqlite3", [tmp.path("shared/shard-1.sqlite"), "PRAGMA integrity_check"]) == "ok\n")
        #expect(try CLITests.dump(tmp.path("shared/shard-1.sqlite")) == CLITests.dump(tmp.path("shard-1.sqlite")))
        let back = try CLITests.vidpipe(["snapshot", "--db", tmp.path("shared/shard-1.sqlite"), "--into", tmp.path("restored.sqlite")])
        #expect(back.status == 0)
        let resumed = try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", tmp.path("restored.sqlite"), "--shard", "0/3"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let mine = try CLITests.count(tmp.path("shard-1.sqlite"), "SELECT count(*) FROM videos")
        #expect(resumed.stderr.contains("\(mine) done (\(mine) unchanged)"), "\(resumed.stderr)")
        let intoFolder = try CLITests.vidpipe(["snapshot", "--db", tmp.path("shard-1.sqlite"), "--into", tmp.path("shared")])
        #expect(intoFolder.status == 1 && intoFolder.stderr.contains("is a folder"))
        let other = try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", tmp.path("shard-1.sqlite"), "--shard", "0/4"])
        #expect(other.status == 1)
        #expect(other.stderr.contains("holds shard 0/3 of an earlier run; this run is shard 0/4"), "\(other.stderr)")
        let none = try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", tmp.path("x.sqlite"), "--shard", "auto"])
        #expect(none.status == 1)
        #expect(none.stderr.contains("--shard auto: no array task found"))
    }

    /// `--metrics-file` writes Prometheus' text format that prometheus_client's parser reads, with
    /// this run's figures; no temporary file is left.
    @Test func metricsFileIsPrometheusTextWithTheRunsFigures() throws {
        let tmp = try TemporaryDirectory()
        for i in 0..<2 { try Fixture.hardCuts(at: tmp.path("v/c\(i).mp4"), shots: 2, shotSeconds: 0.5, size: "96x64", variant: i) }
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: tmp.path("v/bad.mp4")))
        try "version: 1\nname: \"night \\\"shift\\\"\"\nstages:\n  shots: { use: shots.detect }\n".write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        let prom = tmp.path("metrics/vidpipe.prom")
        try FileManager.default.createDirectory(atPath: tmp.path("metrics"), withIntermediateDirectories: true)
        let run = try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", tmp.path("s.sqlite"), "--metrics-file", prom])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path("metrics")) == ["vidpipe.prom"])
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    key = s.name + "|" + ",".join(k + "=" + v for k, v in sorted(s.labels.items()) if k != "pipeline")
                    out[key] = s.value
                    out["pipeline"] = s.labels["pipeline"]
            print(json.dumps(out))
            """
        let parsed = try JSONSerialization.jsonObject(with: Data(try runCommand("python3", ["-c", script, prom]).utf8)) as? [String: Any]
        let values = try #require(parsed)
        #expect(values["pipeline"] as? String == "night \"shift\"")
        #expect(values["vidpipe_videos|state=done"] as? Double == 2)
        #expect(values["vidpipe_videos|state=failed"] as? Double == 1)
        #expect(values["vidpipe_run_exit_code|"] as? Double == 2)
        #expect(values["vidpipe_run_running|"] as? Double == 0)
        #expect((values["vidpipe_last_success_timestamp_seconds|"] as? Double ?? 0) > 1_700_000_000)
        #expect((values["vidpipe_frames_decoded_total|"] as? Double ?? 0) > 0)
        #expect((values["vidpipe_stage_seconds_total|stage=shots"] as? Double ?? -1) >= 0)
        #expect(values["vidpipe_stage_results_total|stage=shots,status=done"] as? Double == 2)
    }
}
