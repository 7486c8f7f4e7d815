import Foundation
import Store
import Testing
import TestSupport
import Workers

/// `vidpipe serve` as a user starts it: a free port, requests logged one line each, SIGTERM stops
/// it with exit 0; a missing, foreign or newer store is refused at start with exit 1.
@Suite("vidpipe serve (the binary)", .serialized)
struct ServeCLITests {
    /// A running `vidpipe serve`, with its stderr collected as it comes.
    final class Server: @unchecked Sendable {  // `process` is only touched by the test's thread
        let process = Process()
        let stderr = Locked("")
        private(set) var port = 0

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            try CLITests.requireCurrentBinary()
            process.executableURL = URL(fileURLWithPath: CLITests.binary)
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.arguments = ["serve"] + arguments + ["--port", "0"]
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            let collected = stderr
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline && process.isRunning {
                let text = stderr.current
                if let range = text.range(of: #"http://[0-9.]+:(\d+)/"#, options: .regularExpression) {
                    port = Int(text[range].split(separator: ":").last?.dropLast() ?? "") ?? 0
                    return
                }
                usleep(20_000)
            }
            throw CLITests.BinaryProblem(description: "vidpipe serve did not start within 20 s: \(stderr.current)")
        }

        func get(_ path: String, headers: [String] = []) throws -> (status: Int, body: String) {
            let out = try runCommand("curl", ["-s", "-o", "-", "-w", "\n%{http_code}"] + headers.flatMap { ["-H", $0] }
                                     + ["http://127.0.0.1:\(port)\(path)"])
            let status = Int(out.split(separator: "\n").last ?? "") ?? 0
            return (status, String(out.dropLast(String(status).count + 1)))
        }

        /// SIGTERM, then the exit status.
        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    @Test func servesOnAFreePortLogsEachRequestAndStopsOnSIGTERM() throws {
        let tmp = try TemporaryDirectory()
        try Fixture.hardCuts(at: tmp.path("v/a.mp4"), shots: 2, shotSeconds: 1)
        try "version: 1\nname: s\nstages:\n  shots: { use: shots.detect }\n  keyframes: { use: frames.keyframes, from: shots }\n"
            .write(toFile: tmp.path("p.yml"), atomically: true, encoding: .utf8)
        let db = tmp.path("s.sqlite")
        #expect(try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", db]).status == 0)
        let server = try Server(["--db", db])
        let library = try server.get("/")
        #expect(library.status == 200)
        #expect(library.body.contains("a.mp4"))
        #expect(try server.get("/videos/1").status == 200)
        #expect(try server.get("/videos/x").status == 400)
        let range = try server.get("/videos/1/media", headers: ["Range: bytes=0-3"])
        #expect(range.status == 206)
        // A run writing the store at the same time is not blocked, and the server sees its results.
        #expect(try CLITests.vidpipe(["run", tmp.path("p.yml"), tmp.path("v"), "--db", db]).status == 0)
        #expect(server.stop() == 0)
        let log = server.stderr.current
        #expect(log.contains("GET / 200"), "\(log)")
        #expect(log.contains("GET /videos/x 400"), "\(log)")
        #expect(!log.contains("warning"))

        // Another address than loopback: a warning that the archive is visible on the network.
        let open = try Server(["--db", db, "--host", "0.0.0.0"])
        #expect(open.stop() == 0)
        #expect(open.stderr.current.contains("warning: listening on 0.0.0.0: the archive"), "\(open.stderr.current)")
    }

    @Test func aStoreItCannotServeIsRefusedAtStart() throws {
        let tmp = try TemporaryDirectory()
        let missing = try CLITests.vidpipe(["serve", "--db", tmp.path("none.sqlite"), "--port", "0"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("error: no store at"))
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: tmp.path("text.sqlite")))
        let foreign = try CLITests.vidpipe(["serve", "--db", tmp.path("text.sqlite"), "--port", "0"])
        #expect(foreign.status == 1)
        #expect(foreign.stderr.contains("is not a vidpipe store"))
        let newer = tmp.path("newer.sqlite")
        _ = try VidpipeStore(path: newer)
        try runCommand("sqlite3", [newer, "INSERT INTO grdb_migrations VALUES ('v99')"])
        let future = try CLITests.vidpipe(["serve", "--db", newer, "--port", "0"])
        #expect(future.status == 1)
        #expect(future.stderr.contains("written by a newer vidpipe (schema v99"), "\(future.stderr)")
        let port = try CLITests.vidpipe(["serve", "--db", newer, "--port", "70000"])
        #expect(port.status == 1)
    }
}
