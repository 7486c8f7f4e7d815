import Foundation
import Records
import Store
import Testing
import TestSupport

/// `vidpipe merge` as a user runs it: a pipeline run as three shards and merged equals one run of
/// it; merging again changes nothing; a merge killed (SIGKILL) and run again ends the same.
@Suite("vidpipe merge", .serialized)
struct MergeCLITests {
    /// Six clips, half with audio (the audio stage is skipped on the others), and the CLI tests' pipeline.
    static func archive(_ tmp: TemporaryDirectory) throws -> String {
        for i in 0..<6 {
            try Fixture.hardCuts(at: tmp.path("videos/clip\(i).mp4"), shots: 2, shotSeconds: 1, size: "160x120",
                                 audio: i % 2 == 0, variant: i)
        }
        return try CLITests.writePipeline(tmp.url.path)
    }

    static func rows(_ db: String) throws -> String {
        let tables = ["videos", "runs", "stage_results", "model_calls", "shots", "frames", "audio_segments", "search"]
        return try tables.map { try runCommand("sqlite3", [db, "SELECT rowid, * FROM \($0) ORDER BY rowid"]) }.joined(separator: "---\n")
    }

    @Test func threeShardsMergeIntoTheStoreOfOneRun() throws {
        let tmp = try TemporaryDirectory()
        let pipeline = try Self.archive(tmp)
        let shards = (0..<3).map { tmp.path("shard-\($0).sqlite") }
        for (i, shard) in shards.enumerated() {
            let r = try CLITests.vidpipe(["run", pipeline, "--shard", "\(i)/3", "--db", shard])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let one = tmp.path("one.sqlite")
        #expect(try CLITests.vidpipe(["run", pipeline, "--db", one]).status == 0)
        let expected = try CLITests.dump(one)

        let all = tmp.path("out/all.sqlite")
        let merge = try CLITests.vidpipe(["merge"] + shards + ["--into", all, "--json"])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try CLITests.dump(all) == expected)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(merge.stdout.utf8)) as? [String: Any])
        #expect(summary["videos_added"] as? Int == 6 && summary["videos_updated"] as? Int == 0)
        #expect(summary["stages_copied"] as? Int == 24)
        #expect((summary["conflicts"] as? [Any])?.isEmpty == true && (summary["paths_replaced"] as? [Any])?.isEmpty == true)
        let perShard = try #require(summary["shards"] as? [[String: Any]])
        #expect(perShard.map { $0["path"] as? String } == shards)
        #expect(perShard.compactMap { $0["videos"] as? Int }.reduce(0, +) == 6)
        let lines = merge.stderr.split(separator: "\n").filter { $0.hasPrefix("merging ") }
        #expect(lines.count == 3)
        for (line, report) in zip(lines, perShard) {
            let videos = report["videos"] as? Int ?? -1
            #expect(line == "merging \(report["path"] as? String ?? ""): \(videos) video\(videos == 1 ? "" : "s"), 0 conflicts")
        }
        #expect(try CLITests.count(all, "SELECT count(*) FROM runs") == 3)
        #expect(!FileManager.default.fileExists(atPath: all + "-wal"))

        // Merging the same shards again changes nothing at all.
        let before = try Self.rows(all)
        let again = try CLITests.vidpipe(["merge"] + shards + ["--into", all, "--json", "--on-conflict", "fail"])
        #expect(again.status == 0, "\(again.stderr)")
        let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(second?["videos_added"] as? Int == 0 && second?["videos_updated"] as? Int == 0 && second?["stages_copied"] as? Int == 0)
        #expect(try Self.rows(all) == before)

        // Killed inside a video's transaction, or right after one commits, then run again: the same store.
        for kill in ["2:mid", "4:after"] {
            let target = tmp.path("killed-\(kill.replacingOccurrences(of: ":", with: "-")).sqlite")
            let killed = try CLITests.vidpipe(["merge"] + shards + ["--into", target], environment: ["VIDPIPE_TEST_KILL_AT": kill])
            #expect(killed.status == SIGKILL, "\(kill): \(killed.stderr)")
            let merged = try CLITests.count(target, "SELECT count(*) FROM videos")
            #expect(merged == (kill.hasSuffix("mid") ? 1 : 4), "\(kill)")
            let rerun = try CLITests.vidpipe(["merge"] + shards + ["--into", target])
            #expect(rerun.status == 0, "\(kill): \(rerun.stderr)")
            #expect(try CLITests.dump(target) == expected, "\(kill)")
            #expect(try CLITests.count(target, "SELECT count(*) FROM runs") == 3)
        }
    }

    @Test func conflictsAreReportedAndFailExitsOne() throws {
        let tmp = try TemporaryDirectory()
        let all = tmp.path("all.sqlite"), shard = tmp.path("shard.sqlite")
        for (path, fingerprint) in [(all, "old"), (shard, "new")] {
            let store = try VidpipeStore(path: path)
            let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "content", sizeBytes: 1, mtimeNs: 1)
            try store.replaceStageResult(videoID: video.id, stage: "shots", fingerprint: fingerprint, elapsedSeconds: 0,
                                         output: .shots([ShotSpan(index: 0, start: 0, end: fingerprint == "new" ? 2 : 1)]))
            store.close()
            Thread.sleep(forTimeInterval: 0.01)
        }
        let fail = try CLITests.vidpipe(["merge", shard, "--into", all, "--on-conflict", "fail", "--json"])
        #expect(fail.status == 1)
        #expect(fail.stderr.contains("conflict /v/a.mp4 stage shots"), "\(fail.stderr)")
        #expect(fail.stderr.contains("error: \(shard) has 1 conflicting stage result (/v/a.mp4 (shots)); nothing of it was merged"), "\(fail.stderr)")
        let failed = try JSONSerialization.jsonObject(with: Data(fail.stdout.utf8)) as? [String: Any]
        #expect((failed?["conflicts"] as? [[String: String]])?.first?["stage"] == "shots")
        #expect(try runCommand("sqlite3", [all, "SELECT end_s FROM shots"]) == "1.0\n")

        let newer = try CLITests.vidpipe(["merge", shard, "--into", all, "--json"])
        #expect(newer.status == 0, "\(newer.stderr)")
        #expect(newer.stderr.contains("merging \(shard): 1 video, 1 conflict\n  conflict /v/a.mp4 stage shots: kept the shard's result"),
                "\(newer.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(newer.stdout.utf8)) as? [String: Any]
        #expect(summary?["conflicts"] as? [[String: String]] == [["path": "/v/a.mp4", "stage": "shots", "kept": "shard", "shard": shard]])
        #expect(try runCommand("sqlite3", [all, "SELECT end_s FROM shots"]) == "2.0\n")
    }

    @Test func aShardOfAnotherSchemaIsRefusedBeforeAnythingIsWritten() throws {
        let tmp = try TemporaryDirectory()
        let shard = tmp.path("shard.sqlite"), all = tmp.path("all.sqlite")
        try VidpipeStore(path: shard).close()
        try runCommand("sqlite3", [shard, "INSERT INTO grdb_migrations VALUES ('v99')"])
        let r = try CLITests.vidpipe(["merge", shard, "--into", all])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: cannot merge \(shard): \(shard) was written by a newer vidpipe (schema v99"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: all))
        let missing = try CLITests.vidpipe(["merge", tmp.path("nope.sqlite"), "--into", all])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: cannot merge \(tmp.path("nope.sqlite")): cannot read the shard \(tmp.path("nope.sqlite")): "
                + "no such file or directory\n")
        #expect(try CLITests.vidpipe(["merge", "--into", all]).status == 1)
    }
}
