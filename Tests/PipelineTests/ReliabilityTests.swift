import Foundation
import OpenAITestServer
import Pipeline
import Store
import Testing
import TestSupport

/// The fuzz campaign's findings (issue 14), kept: identity, unreadable inputs, a non-root user,
/// read-only stores, a full disk, readers racing a new store.
@Suite("Reliability", .serialized)
struct ReliabilityTests {
    static func vidpipe(_ arguments: [String], cwd: String? = nil, environment: [String: String]? = nil) throws -> ProcessOutput {
        try CLITests.vidpipe(arguments, cwd: cwd, environment: environment)
    }

    static let shotsPipeline = "version: 1\nname: rel\nstages:\n  shots: { use: shots.detect }\n"

    /// A clip of about 2 MB: large enough that the old sampled fingerprint (eight 64 KiB blocks) missed most bytes.
    static func bigClip(_ path: String) throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=4", "-c:v", "libx264", "-preset", "ultrafast",
                    "-qp", "10"], output: path)
    }

    @Test func fingerprintCoversEveryByte() throws {
        let tmp = try TemporaryDirectory()
        let a = tmp.path("a.bin"), b = tmp.path("b.bin")
        var bytes = [UInt8](repeating: 0, count: 3 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: a))
        bytes[200_000] ^= 0x55  // between the old sampled blocks
        try Data(bytes).write(to: URL(fileURLWithPath: b))
        let fa = try VideoFingerprint.compute(path: a), fb = try VideoFingerprint.compute(path: b)
        #expect(fa != fb)
        #expect(fa.hasPrefix("v2-\(3 << 20)-"))
        #expect(try VideoFingerprint.compute(path: a) == fa)
        #expect(throws: VideoFingerprint.Unreadable.self) { try VideoFingerprint.compute(path: tmp.path("missing")) }
    }

    /// Two files that differ in one byte are two videos; an identical copy is one video, kept under
    /// its first path (no flipping between runs).
    @Test func differentFilesAreDifferentVideosAndACopyIsOne() throws {
        let tmp = try TemporaryDirectory()
        try Self.shotsPipeline.write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        let dir = tmp.path("v")
        try Self.bigClip(dir + "/a.mp4")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/a.mp4"))
        bytes[200_000] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: dir + "/b-damaged.mp4"))
        try FileManager.default.copyItem(atPath: dir + "/a.mp4", toPath: dir + "/c-copy.mp4")
        let db = tmp.path("s.sqlite")
        let first = try Self.vidpipe(["run", tmp.path("p.yml"), dir, "--db", db])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("c-copy.mp4 (warning: same content as \(dir)/a.mp4"), "\(first.stderr)")
        let paths = try runCommand("sqlite3", [db, "SELECT path FROM videos ORDER BY path"])
        #expect(paths == "\(dir)/a.mp4\n\(dir)/b-damaged.mp4\n")
        let fingerprints = try runCommand("sqlite3", [db, "SELECT COUNT(DISTINCT fingerprint) FROM videos"])
        #expect(fingerprints == "2\n")
        let before = try CLITests.dump(db)
        let second = try Self.vidpipe(["run", tmp.path("p.yml"), dir, "--db", db])
        #expect(second.status == 0)
        #expect(try CLITests.dump(db) == before)
        #expect(try runCommand("sqlite3", [db, "SELECT path FROM videos ORDER BY path"]) == paths)
    }

    // MARK: - another user

    static var isRoot: Bool { getuid() == 0 }

    /// Runs the binary as `nobody` (a copy of it in `dir`, so the build folder's permissions do not matter).
    static func asNobody(_ arguments: [String], in dir: String) throws -> ProcessOutput {
        try CLITests.requireCurrentBinary()
        let copy = dir + "/vidpipe-bin"
        if !FileManager.default.fileExists(atPath: copy) {
            // Copied by another process: a write descriptor opened here could be inherited by a child
            // that another test forks meanwhile, and exec would then fail with "text file busy".
            try runCommand("install", ["-m", "0755", CLITests.binary, copy])
        }
        return try runProcess("runuser", ["-u", "nobody", "--", copy] + arguments, currentDirectory: dir)
    }

    static func chown(_ path: String, _ user: String, mode: Int) throws {
        try runCommand("chown", [user, path])
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    /// As a service user: the binary starts (its libraries are readable by all), an unreadable file
    /// is recorded as failed with the reason, a folder it cannot list is warned about and counted,
    /// and both come out in `status` and the `--json` summary.
    @Test(.enabled(if: isRoot, "needs root to act as another user")) func nonRootUserUnreadableFileAndFolder() throws {
        let tmp = try TemporaryDirectory()
        try Self.chown(tmp.url.path, "nobody", mode: 0o755)
        try Self.shotsPipeline.write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        let dir = tmp.path("v")
        try Fixture.hardCuts(at: dir + "/a.mp4", shots: 2, shotSeconds: 1)
        try FileManager.default.copyItem(atPath: dir + "/a.mp4", toPath: dir + "/b-secret.mp4")
        try Self.chown(dir + "/b-secret.mp4", "root", mode: 0)
        try Fixture.hardCuts(at: dir + "/locked/c.mp4", shots: 2, shotSeconds: 1)
        try Self.chown(dir + "/locked", "root", mode: 0)
        try Self.chown(dir, "nobody", mode: 0o755)

        let run = try Self.asNobody(["run", "p.yml", "v", "--db", "s.sqlite", "--json"], in: tmp.url.path)
        #expect(!run.stderr.contains("error while loading shared libraries"), "\(run.stderr)")
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("failed \(dir)/b-secret.mp4: cannot read the file: permission denied"), "\(run.stderr)")
        #expect(run.stderr.contains("warning: cannot list the folder \(dir)/locked: permission denied"), "\(run.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let skipped = summary?["skipped_folders"] as? [[String: String]]
        #expect(skipped?.first?["path"] == dir + "/locked")
        #expect((summary?["videos"] as? [String: Int])?["failed"] == 1)

        let status = try Self.asNobody(["status", "--db", "s.sqlite"], in: tmp.url.path)
        #expect(status.stdout.contains("1 done, 1 failed"), "\(status.stdout)")
        #expect(status.stdout.contains("b-secret.mp4: cannot read the file: permission denied"))

        // Readable again: the stand-in row gives way to the real video (a copy of a.mp4, so one video).
        try Self.chown(dir + "/b-secret.mp4", "nobody", mode: 0o644)
        let again = try Self.asNobody(["run", "p.yml", "v", "--db", "s.sqlite"], in: tmp.url.path)
        #expect(again.status == 2)  // the folder is still locked
        #expect(try CLITests.count(tmp.path("s.sqlite"), "SELECT COUNT(*) FROM videos WHERE status = 'failed'") == 0)
    }

    /// A store this user cannot write, in a folder it cannot write: `run` says so in one line,
    /// `status`, `search` and `export` read it as it is.
    @Test(.enabled(if: isRoot, "needs root to act as another user")) func readOnlyStoreAsAnotherUser() throws {
        let tmp = try TemporaryDirectory()
        try Self.shotsPipeline.write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        try Fixture.hardCuts(at: tmp.path("v/a.mp4"), shots: 2, shotSeconds: 1)
        let ro = tmp.path("ro")
        let made = try Self.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", ro + "/s.sqlite"])
        #expect(made.status == 0, "\(made.stderr)")
        try? FileManager.default.removeItem(atPath: ro + "/s.sqlite.lock")
        let listing = try FileManager.default.contentsOfDirectory(atPath: ro)
        #expect(listing == ["s.sqlite"], "a finished run leaves no WAL files: \(listing)")

        let run = try Self.asNobody(["run", "p.yml", "v", "--db", "ro/s.sqlite"], in: tmp.url.path)
        #expect(run.status == 1)
        #expect(run.stderr.contains("error: the store \(ro)/s.sqlite is read-only"), "\(run.stderr)")
        #expect(!run.stderr.contains("NSCocoaErrorDomain"))
        let status = try Self.asNobody(["status", "--db", "ro/s.sqlite"], in: tmp.url.path)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("1 done, 0 failed"))
        let export = try Self.asNobody(["export", "a.mp4", "--db", "ro/s.sqlite", "--format", "json"], in: tmp.url.path)
        #expect(export.status == 0, "\(export.stderr)")
        let search = try Self.asNobody(["search", "anything", "--db", "ro/s.sqlite"], in: tmp.url.path)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ro) == ["s.sqlite"])
    }

    // MARK: - disk full

    /// A 640 KiB tmpfs holds the store: the run stops at "disk full at STORE", blames no input, prints
    /// its summary and closes its run row; with space again, a rerun finishes to the same store as a
    /// clean run.
    @Test(.enabled(if: isRoot, "needs root to mount a small tmpfs")) func diskFullStopsCleanlyAndResumes() throws {
        let tmp = try TemporaryDirectory()
        let dir = tmp.path("v")
        for i in 0..<5 {
            try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=4", "-vf", "hue=h=\(i * 60)",
                        "-c:v", "libx264"], output: "\(dir)/clip\(i).mp4")
        }
        try "version: 1\nname: full\nstages:\n  shots: { use: shots.detect }\n  frames: { use: frames.sample, with: { every: 0.2 } }\n"
            .write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        let mount = tmp.path("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try runCommand("mount", ["-t", "tmpfs", "-o", "size=640k", "tmpfs", mount])
        defer {
            _ = try? runCommand("umount", ["-l", mount])
            withExtendedLifetime(tmp) {}
        }
        let db = mount + "/s.sqlite"

        let full = try Self.vidpipe(["run", tmp.path("p.yml"), dir, "--db", db, "--json"])
        #expect(full.status == 1, "\(full.stderr)")
        #expect(full.stderr.contains("error: disk full at \(db)"), "\(full.stderr)")
        #expect(!full.stderr.contains("cannot read the file"))
        let summary = try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [String: Any]
        #expect((summary?["store_error"] as? String)?.hasPrefix("disk full at") == true, "\(full.stdout)")
        #expect((summary?["videos"] as? [String: Int])?["failed"] == 0)
        #expect(((summary?["videos"] as? [String: Int])?["pending"] ?? 0) > 0)
        #expect(try runCommand("sqlite3", [db, "SELECT status FROM runs"]) == "failed\n")
        #expect(try CLITests.count(db, "SELECT COUNT(*) FROM videos WHERE error IS NOT NULL") == 0)
        #expect(try runCommand("sqlite3", [db, "PRAGMA integrity_check"]) == "ok\n")

        // More space: remount larger (tmpfs keeps its files) and resume.
        try runCommand("mount", ["-o", "remount,size=64m", mount])
        let resumed = try Self.vidpipe(["run", tmp.path("p.yml"), dir, "--db", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let clean = tmp.path("clean.sqlite")
        #expect(try Self.vidpipe(["run", tmp.path("p.yml"), dir, "--db", clean]).status == 0)
        #expect(try CLITests.dump(db) == CLITests.dump(clean))
    }

    // MARK: - readers racing a new store

    /// While a run creates a new store, concurrent `status` calls see either no store or the whole
    /// store, never a half-made schema.
    @Test func readersNeverSeeAHalfMadeStore() throws {
        let tmp = try TemporaryDirectory()
        try Self.shotsPipeline.write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        try Fixture.hardCuts(at: tmp.path("v/a.mp4"), shots: 2, shotSeconds: 1)
        let db = tmp.path("new.sqlite")
        let run = Process()
        run.executableURL = URL(fileURLWithPath: CLITests.binary)
        run.arguments = ["run", tmp.path("p.yml"), tmp.path("v"), "--db", db]
        run.standardError = FileHandle.nullDevice
        try CLITests.requireCurrentBinary()
        try run.run()
        var outcomes: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(30)
        while run.isRunning && Date() < deadline {
            let r = try runProcess(CLITests.binary, ["status", "--db", db])
            let kind = r.status == 0 ? "ok" : r.stderr.contains("no store at") ? "no store" : r.stderr
            outcomes[kind, default: 0] += 1
        }
        run.waitUntilExit()
        #expect(Set(outcomes.keys).isSubset(of: ["ok", "no store"]), "\(outcomes)")
        #expect(!FileManager.default.fileExists(atPath: db + ".new"))
    }

    // MARK: - messages

    /// A file named `-x.mkv` is a file, not help; a newline in a name stays on one log line; a
    /// decoder warning met by two decode passes is listed once.
    @Test func oddNamesAndRepeatedWarningsAreOneLine() throws {
        let tmp = try TemporaryDirectory()
        try "version: 1\nname: t\nstages:\n  shots: { use: shots.detect }\n  kf: { use: frames.keyframes, from: shots }\n"
            .write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        // MJPEG with five images blanked: the container is intact, the decoder rejects those packets.
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3", "-c:v", "mjpeg"], output: tmp.path("-dash.mkv"))
        try MediaFixture.blankJPEGImages(tmp.path("-dash.mkv"), 30..<35)
        try FileManager.default.copyItem(atPath: tmp.path("-dash.mkv"), toPath: tmp.path("new\nline.mkv"))
        let db = tmp.path("s.sqlite")
        let dash = try Self.vidpipe(["run", "p.yml", "-dash.mkv", "--db", db], cwd: tmp.url.path)
        #expect(dash.status == 0, "\(dash.stderr)")
        #expect(dash.stderr.contains("done \(tmp.path("-dash.mkv")) (warning: 5 packets could not be decoded)\n"), "\(dash.stderr)")
        let unknown = try Self.vidpipe(["run", "p.yml", "-missing.mkv", "--db", db], cwd: tmp.url.path)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: unknown option '-missing.mkv'; a file whose name starts with '-' is given as ./-missing.mkv (or after --)\n")
        let separated = try Self.vidpipe(["run", "p.yml", "--db", db, "--", "-dash.mkv"], cwd: tmp.url.path)
        #expect(separated.status == 0, "\(separated.stderr)")
        let newline = try Self.vidpipe(["run", "p.yml", "new\nline.mkv", "--db", tmp.path("t.sqlite")], cwd: tmp.url.path)
        #expect(newline.stderr.contains("done \(tmp.url.path)/new\\nline.mkv (warning"), "\(newline.stderr)")
        #expect(newline.stderr.split(separator: "\n").filter { $0.contains("line.mkv") }.count == 1, "\(newline.stderr)")
    }

    // MARK: - secrets

    /// A server that echoes the API key (as sent, percent-encoded, JSON-escaped) and whatever
    /// Authorization it got, and a base_url with credentials: no form of either reaches the store
    /// file, its WAL, stdout, stderr, `--json`, `status --json` or an export.
    @Test func secretsReachNoOutputInAnyForm() async throws {
        let key = "sk-live/9f8e+7d6c=5b4a-SECRET"
        let password = "hunter2-pass"
        let pct = key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let json = key.replacingOccurrences(of: "/", with: "\\/")
        let server = OpenAITestServer(handler: { request in
            // Echoes what it was sent: the key in three forms when it came as a bearer token, and the
            // Authorization header as it came, and the request target.
            let auth = request.header("authorization") ?? "none"
            let echoed = auth.contains(key) ? "\(key) | \(pct) | \(json)" : "no key"
            return .error(status: 401, message: "rejected \(echoed) | auth: \(auth) | \(request.uri)")
        })
        try await server.start()
        defer { Task { await server.shutdown() } }
        let tmp = try TemporaryDirectory()
        try Fixture.hardCuts(at: tmp.path("v/a.mp4"), shots: 2, shotSeconds: 1)
        let port = URLComponents(string: server.baseURL)!.port!
        var outputs: [String] = []
        for (name, baseURL, keyEnv) in [("key", server.baseURL, "api_key_env: VIDPIPE_TEST_KEY, "),
                                        ("userinfo", "http://alice:\(password)@127.0.0.1:\(port)/v1", "")] {
            let db = tmp.path("\(name).sqlite")
            try """
                version: 1
                name: secrets
                providers:
                  p: { type: openai, base_url: "\(baseURL)", model: m, \(keyEnv)retries: 0 }
                stages:
                  shots: { use: shots.detect }
                  keyframes: { use: frames.keyframes, from: shots }
                  describe: { use: frames.caption, from: keyframes, provider: p }
                """.write(toFile: tmp.path("\(name).yml"), atomically: true, encoding: .utf8)
            let env = ["VIDPIPE_TEST_KEY": key]
            let run = try Self.vidpipe(["run", tmp.path("\(name).yml"), tmp.path("v"), "--db", db, "--json", "-v"], environment: env)
            #expect(run.status == 2, "\(run.stderr)")
            #expect(run.stdout.contains("401"), "\(run.stdout)")
            let status = try Self.vidpipe(["status", "--db", db, "--json"])
            let export = try Self.vidpipe(["export", tmp.path("v/a.mp4"), "--db", db, "--format", "json"])
            let files = try FileManager.default.contentsOfDirectory(atPath: tmp.url.path).filter { $0.hasPrefix(name + ".sqlite") }
            let stored = try files.map { String(decoding: try Data(contentsOf: URL(fileURLWithPath: tmp.path($0))), as: UTF8.self) }
            outputs += [run.stdout, run.stderr, status.stdout, status.stderr, export.stdout, export.stderr] + stored
        }
        #expect(server.requests.count >= 2)
        let basic = Data("alice:\(password)".utf8).base64EncodedString()
        for form in [key, pct, json, password, basic, "alice:"] {
            for (i, text) in outputs.enumerated() { #expect(!text.contains(form), "output \(i) holds \(form)") }
        }
        #expect(outputs.contains { $0.contains("[api key]") })
    }

    // MARK: - a corrupted-media campaign

    /// Damaged copies of real clips (truncations, byte flips, zeroed blocks, swapped headers, a
    /// mangled index, garbage) run as one archive: no crash, each file ends done (with a warning)
    /// or failed with a reason, exit 2, and a rerun changes nothing.
    @Test func corruptedMediaCorpusRunsAsOneArchive() throws {
        let tmp = try TemporaryDirectory()
        let dir = tmp.path("v")
        let mp4 = tmp.path("base.mp4"), mkv = tmp.path("base.mkv")
        try Fixture.hardCuts(at: mp4, shots: 2, shotSeconds: 1.5, audio: true)
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=192x144:rate=25:duration=3", "-f", "lavfi", "-i", "sine=duration=3",
                    "-c:v", "libx264", "-c:a", "libopus", "-shortest"], output: mkv)
        let a = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mp4)))
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: mkv)))
        var rng = SeededRandom(seed: 14)
        var corpus: [String: [UInt8]] = [:]
        for fraction in [0.1, 0.5, 0.9] {
            corpus["trunc-\(Int(fraction * 100)).mp4"] = Array(a.prefix(Int(Double(a.count) * fraction)))
            corpus["trunc-\(Int(fraction * 100)).mkv"] = Array(b.prefix(Int(Double(b.count) * fraction)))
        }
        for (name, base) in [("flips.mp4", a), ("flips.mkv", b)] {
            var bytes = base
            for _ in 0..<40 { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            corpus[name] = bytes
        }
        for (name, base, at) in [("zero-head.mp4", a, 0.0), ("zero-mid.mp4", a, 0.4), ("zero-mid.mkv", b, 0.4)] {
            var bytes = base
            let start = Int(Double(bytes.count) * at)
            for i in start..<min(bytes.count, start + 4096) { bytes[i] = 0 }
            corpus[name] = bytes
        }
        corpus["swapped-headers.mp4"] = Array(b.prefix(4096)) + Array(a.dropFirst(4096))
        corpus["swapped-headers.mkv"] = Array(a.prefix(4096)) + Array(b.dropFirst(4096))
        var mangled = a
        if let moov = Self.find(Array("moov".utf8), in: mangled) { mangled.replaceSubrange(moov..<moov + 4, with: Array("xxxx".utf8)) }
        corpus["no-index.mp4"] = mangled
        corpus["twice.mkv"] = b + b
        corpus["one-byte.mp4"] = [0]
        corpus["garbage.mkv"] = (0..<50_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, bytes) in corpus { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        try FileManager.default.copyItem(atPath: mp4, toPath: dir + "/good.mp4")

        let pipeline = try CLITests.writePipeline(tmp.url.path)
        let db = tmp.path("s.sqlite")
        let first = try Self.vidpipe(["run", pipeline, dir, "--db", db, "--json"])
        #expect(first.status == 2, "\(first.stderr)")
        #expect(!first.stderr.contains("Fatal error"))
        let rows = try runCommand("sqlite3", ["-separator", "|", db, "SELECT path, status, ifnull(error, '') FROM videos"])
            .split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.count == corpus.count + 1, "\(rows)")
        for row in rows {
            #expect(row[1] == "done" || (row[1] == "failed" && !row[2].isEmpty), "\(row)")
        }
        let failed = rows.filter { $0[1] == "failed" }.count
        print("corrupted-media corpus: \(rows.count) files, \(rows.count - failed) done, \(failed) failed, each with its reason")
        #expect(rows.contains { $0[0].hasSuffix("/good.mp4") && $0[1] == "done" })
        #expect(rows.contains { $0[0].hasSuffix("/garbage.mkv") && $0[1] == "failed" })
        #expect(try runCommand("sqlite3", [db, "PRAGMA integrity_check"]) == "ok\n")
        let before = try CLITests.dump(db)
        let second = try Self.vidpipe(["run", pipeline, dir, "--db", db])
        #expect(second.status == 2)
        #expect(try CLITests.dump(db) == before)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }
}
