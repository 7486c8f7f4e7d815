import Foundation
import Pipeline
import Store
import Testing
import TestSupport

/// The `vidpipe` binary as a user runs it: exit codes, stdout/stderr, kill -9 and resume.
@Suite("vidpipe CLI", .serialized)
struct CLITests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    /// The `vidpipe` of the build this test bundle belongs to (same directory), checked to be newer
    /// than every source file: `swift test` alone does not relink the executable.
    static let binary: String = {
        let buildDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        var path = buildDirectory.appendingPathComponent("vidpipe").path
        if !FileManager.default.fileExists(atPath: path) {
            path = packageRoot + "/.build/debug/vidpipe"
        }
        return path
    }()

    /// Fails the test when the binary is missing or older than a source file (run `swift build` first).
    static func requireCurrentBinary() throws {
        if let binaryProblem { throw binaryProblem }
    }

    /// Checked once per test process: the binary's age against every file under Sources.
    static let binaryProblem: BinaryProblem? = {
        let modified = { (path: String) in
            (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
        }
        guard let built = modified(binary) else {
            return BinaryProblem(description: "\(binary) does not exist: run `swift build` (or `make test`) first")
        }
        let sources = FileManager.default.enumerator(atPath: packageRoot + "/Sources")
        while let relative = sources?.nextObject() as? String {
            guard relative.hasSuffix(".swift"), let changed = modified(packageRoot + "/Sources/" + relative) else { continue }
            if changed > built {
                return BinaryProblem(description: "\(binary) is older than Sources/\(relative): run `swift build` (or `make test`) first")
            }
        }
        return nil
    }()

    struct BinaryProblem: Error, CustomStringConvertible {
        var description: String
    }

    static func vidpipe(_ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil) throws -> ProcessOutput {
        try requireCurrentBinary()
        return try runProcess(binary, arguments, environment: environment, currentDirectory: cwd)
    }

    static func count(_ db: String, _ sql: String) throws -> Int {
        Int(try runCommand("sqlite3", [db, sql]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Polls the store (as another process would) until `stage_results` has `count` rows; throws after 60 s.
    static func waitForStageResults(_ db: String, atLeast count: Int) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if ((try? Self.count(db, "SELECT COUNT(*) FROM stage_results")) ?? 0) >= count { return }
            usleep(20_000)
        }
        throw BinaryProblem(description: "\(db) did not reach \(count) stage results within 60 s")
    }

    static func writePipeline(_ dir: String) throws -> String {
        let path = dir + "/p.yml"
        try """
            version: 1
            name: cli
            store: store.sqlite
            inputs: ["videos"]
            stages:
              frames: { use: frames.sample, with: { every: 1s, max_size: 96 } }
              shots: { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
              segments: { use: audio.segments }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every result table's contents, without ids and timestamps, sorted: two stores with equal dumps hold the same results.
    static func dump(_ db: String) throws -> String {
        let queries = [
            "SELECT v.path, v.status, v.fingerprint, v.duration_s FROM videos v ORDER BY v.path",
            "SELECT v.path, r.stage, r.fingerprint, r.status FROM stage_results r JOIN videos v ON v.id = r.video_id ORDER BY 1, 2",
            "SELECT v.path, s.stage, s.idx, s.start_s, s.end_s FROM shots s JOIN videos v ON v.id = s.video_id ORDER BY 1, 2, 3",
            "SELECT v.path, f.stage, f.t_s, f.shot_idx, f.phash, f.width, f.height, hex(f.jpeg) FROM frames f JOIN videos v ON v.id = f.video_id ORDER BY 1, 2, 3",
            "SELECT v.path, a.stage, a.kind, a.start_s, a.end_s, a.loudness_db FROM audio_segments a JOIN videos v ON v.id = a.video_id ORDER BY 1, 2, 4",
        ]
        return try queries.map { try runCommand("sqlite3", [db, $0]) }.joined(separator: "\n---\n")
    }

    @Test func validateReportsErrorsWithPositionAndExitsOne() throws {
        let tmp = try TemporaryDirectory()
        try "version: 1\nstages:\n  shots: { use: shots.detect, with: { treshold: 3 } }\n"
            .write(toFile: tmp.path("bad.yml"), atomically: true, encoding: .utf8)
        let r = try Self.vidpipe(["validate", tmp.path("bad.yml")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("bad.yml:3:39: error: unknown parameter 'treshold'"))
        #expect(r.stderr.contains("hint: did you mean 'threshold'"))
        let ok = try Self.vidpipe(["validate", Self.packageRoot + "/pipelines/archive.yml"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test func usageErrorsExitOne() throws {
        let r = try Self.vidpipe(["run", "x.yml", "--jobs", "0"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--jobs must be at least 1"))
    }

    @Test func searchAndExportMistakesAreOneClearLine() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("store.sqlite")
        _ = try VidpipeStore(path: db).registerVideo(path: tmp.path("a.mp4"), fingerprint: "f", sizeBytes: 1, mtimeNs: 1)
        let star = try Self.vidpipe(["search", "*", "--db", db])
        #expect(star.status == 1)
        #expect(star.stderr.hasPrefix("error: cannot search for '*': unknown special query. "), "\(star.stderr)")
        #expect(!star.stderr.contains("SELECT") && star.stderr.split(separator: "\n").count == 1)
        let missing = try Self.vidpipe(["export", "1", "--db", db, "--out", tmp.path("no/such/x.json")])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: cannot write \(tmp.path("no/such/x.json")): the folder \(tmp.path("no/such")) does not exist\n")
        let folder = try Self.vidpipe(["export", "1", "--db", db, "--out", tmp.url.path])
        #expect(folder.status == 1)
        #expect(folder.stderr.hasPrefix("error: --out \(tmp.url.path) is a folder\n"), "\(folder.stderr)")
    }

    @Test func aDamagedStoreIsRefusedWithHowToRecover() throws {
        let tmp = try TemporaryDirectory()
        let db = tmp.path("store.sqlite")
        do {
            let store = try VidpipeStore(path: db)
            let video = try store.registerVideo(path: tmp.path("a.mp4"), fingerprint: "f", sizeBytes: 1, mtimeNs: 1)
            let frames = (0..<200).map { SampledFrame(time: Double($0), shotIndex: nil, phash: UInt64($0), width: 8, height: 8,
                                                      jpeg: [UInt8](repeating: UInt8($0 % 251), count: 3000)) }
            try store.replaceStageResult(videoID: video.id, stage: "frames", fingerprint: "x", elapsedSeconds: 0,
                                         output: .frames(frames))
        }
        _ = try runCommand("sqlite3", [db, "PRAGMA wal_checkpoint(TRUNCATE);"])
        // 4 KiB of 0xFF over a page in the middle of the file.
        let handle = try #require(FileHandle(forUpdatingAtPath: db))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: (size / 2) / 4096 * 4096)
        try handle.write(contentsOf: Data(repeating: 0xFF, count: 4096))
        try handle.close()
        for command in [["status", "--db", db], ["run", try Self.writePipeline(tmp.url.path), "--db", db],
                        ["serve", "--db", db, "--port", "0"]] {
            let r = try Self.vidpipe(command)
            #expect(r.status == 1, "\(command): \(r.stderr)")
            #expect(r.stderr.contains("error: the store \(db) is damaged ("), "\(command): \(r.stderr)")
            #expect(r.stderr.contains(".recover") && !r.stderr.contains("***"))
        }
    }

    @Test func readCommandsLeaveAFileThatIsNotAStoreUntouched() throws {
        let tmp = try TemporaryDirectory()
        FileManager.default.createFile(atPath: tmp.path("empty.sqlite"), contents: Data())
        for command in [["status"], ["export", "1"], ["search", "word"]] {
            let r = try Self.vidpipe(command + ["--db", tmp.path("empty.sqlite")])
            #expect(r.status == 1, "\(command)")
            #expect(r.stderr == "error: \(tmp.path("empty.sqlite")) is not a vidpipe store (it has no vidpipe schema); "
                    + "give the store a run wrote (--db FILE)\n", "\(command): \(r.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.url.path) == ["empty.sqlite"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: tmp.path("empty.sqlite"))).isEmpty)
    }

    @Test func runExitsTwoOnBadInputsAndStatusJSONHasTheDesignShape() throws {
        let tmp = try TemporaryDirectory()
        try Fixture.hardCuts(at: tmp.path("videos/a.mp4"), shots: 2, shotSeconds: 1, audio: true)
        try Data("not video".utf8).write(to: URL(fileURLWithPath: tmp.path("videos/b.mkv")))
        let pipeline = try Self.writePipeline(tmp.url.path)
        let r = try Self.vidpipe(["run", pipeline, "--json"])
        #expect(r.status == 2, "\(r.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let videos = try #require(summary["videos"] as? [String: Any])
        #expect(videos["done"] as? Int == 1)
        #expect(videos["failed"] as? Int == 1)
        #expect(summary["elapsed_s"] is Double)
        #expect(r.stderr.contains("failed \(tmp.path("videos/b.mkv"))"))

        let status = try Self.vidpipe(["status", "--db", tmp.path("store.sqlite"), "--json"])
        #expect(status.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let counts = try #require(json["videos"] as? [String: Int])
        #expect(counts["done"] == 1 && counts["failed"] == 1 && counts["pending"] == 0)
        let stages = try #require(json["stages"] as? [[String: Any]])
        #expect(Set(stages.compactMap { $0["stage"] as? String }) == ["frames", "shots", "keyframes", "segments"])
        let failures = try #require(json["failures"] as? [[String: String]])
        #expect(failures.first?["path"] == tmp.path("videos/b.mkv"))

        let export = try Self.vidpipe(["export", "a.mp4", "--db", tmp.path("store.sqlite"), "--format", "json"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) is [String: Any])
        #expect(export.stdout.contains("\"shots\""))

        let again = try Self.vidpipe(["run", pipeline, "--json"])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        #expect((second["videos"] as? [String: Any])?["unchanged"] as? Int == 1)
    }

    @Test func maxDurationStopsAndExitsThree() throws {
        let tmp = try TemporaryDirectory()
        for i in 0..<3 { try Fixture.hardCuts(at: tmp.path("videos/\(i).mp4"), shots: 2, shotSeconds: 1, variant: i) }
        let r = try Self.vidpipe(["run", try Self.writePipeline(tmp.url.path), "--max-duration", "0s"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("3 pending"))
    }

    /// kill -9 at every stage-result boundary: inside the N-th write transaction (before it commits)
    /// and right after it commits (VIDPIPE_TEST_KILL_AT). Each killed store holds exactly the
    /// results committed before the kill and no rows without their result; rerun, it equals a clean run.
    @Test func killNineAtEveryWriteThenRerunEqualsACleanRun() throws {
        let tmp = try TemporaryDirectory()
        for i in 0..<2 {
            try Fixture.hardCuts(at: tmp.path("videos/clip\(i).mp4"), shots: 2, shotSeconds: 1, audio: true, variant: i)
        }
        let pipeline = try Self.writePipeline(tmp.url.path)
        let clean = try Self.vidpipe(["run", pipeline, "--db", tmp.path("clean.sqlite")])
        #expect(clean.status == 0, "\(clean.stderr)")
        let writes = try Self.count(tmp.path("clean.sqlite"), "SELECT COUNT(*) FROM stage_results")
        #expect(writes == 8)
        let orphans = """
            SELECT COUNT(*) FROM (SELECT video_id, stage FROM shots UNION SELECT video_id, stage FROM frames
                                  UNION SELECT video_id, stage FROM audio_segments) o
            WHERE NOT EXISTS (SELECT 1 FROM stage_results r WHERE r.video_id = o.video_id AND r.stage = o.stage)
            """
        for n in 1...writes {
            for mode in ["mid", "after"] {
                let db = tmp.path("killed-\(n)-\(mode).sqlite")
                let killed = try Self.vidpipe(["run", pipeline, "--db", db], environment: ["VIDPIPE_TEST_KILL_AT": "\(n):\(mode)"])
                #expect(killed.status == SIGKILL, "write \(n) \(mode): \(killed.stderr)")
                #expect(try Self.count(db, "SELECT COUNT(*) FROM stage_results") == (mode == "mid" ? n - 1 : n), "write \(n) \(mode)")
                #expect(try Self.count(db, orphans) == 0, "write \(n) \(mode)")
                let resumed = try Self.vidpipe(["run", pipeline, "--db", db])
                #expect(resumed.status == 0, "write \(n) \(mode): \(resumed.stderr)")
                #expect(try Self.dump(db) == Self.dump(tmp.path("clean.sqlite")), "write \(n) \(mode)")
            }
        }
    }

    @Test func secondRunOnALockedStoreExitsAtOnce() throws {
        let tmp = try TemporaryDirectory()
        try Fixture.hardCuts(at: tmp.path("videos/a.mp4"), shots: 2, shotSeconds: 1)
        let held = try RunLock(store: tmp.path("store.sqlite"))
        let r = try Self.vidpipe(["run", try Self.writePipeline(tmp.url.path)])
        withExtendedLifetime(held) {}
        #expect(r.status == 1)
        #expect(r.stderr.contains("another vidpipe run is using \(tmp.path("store.sqlite"))"))
        #expect(r.stderr.contains("pid \(getpid())"))
    }

    @Test func ctrlCFinishesInFlightVideosAndExitsThree() throws {
        let tmp = try TemporaryDirectory()
        for i in 0..<6 {
            try Fixture.hardCuts(at: tmp.path("videos/clip\(i).mp4"), shots: 3, shotSeconds: 2, size: "640x360", audio: true, variant: i)
        }
        let db = tmp.path("store.sqlite")
        let process = Process()
        try Self.requireCurrentBinary()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run", try Self.writePipeline(tmp.url.path), "--db", db]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try Self.waitForStageResults(db, atLeast: 1)
        kill(process.processIdentifier, SIGINT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3, "\(stderr)")
        #expect(stderr.contains("stopping: no new videos will start"))
        // every video that was started finished: no stage half-done, the rest untouched
        let started = try runCommand("sqlite3", [db, "SELECT COUNT(*) FROM videos"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let done = try runCommand("sqlite3", [db, "SELECT COUNT(*) FROM videos WHERE status = 'done'"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(started == done)
        #expect((Int(done) ?? 0) < 6)
        let resumed = try Self.vidpipe(["run", try Self.writePipeline(tmp.url.path), "--db", db])
        #expect(resumed.status == 0)
    }
}
