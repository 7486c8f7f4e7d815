import Foundation
import Logging
import Pipeline
import Store
import Testing
import TestSupport

/// End-to-end runs of the engine in-process over generated archives.
@Suite("pipeline runs", .serialized)
struct RunTests {
    static func pipeline(in dir: String, threshold: Int = 27, every: String = "1s") throws -> String {
        let path = dir + "/pipeline.yml"
        try """
            version: 1
            name: test
            store: archive.sqlite
            inputs: ["videos"]
            stages:
              frames: { use: frames.sample, with: { every: \(every), max_size: 160 } }
              shots: { use: shots.detect, with: { threshold: \(threshold) } }
              keyframes: { use: frames.keyframes, from: shots }
              segments: { use: audio.segments }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func run(_ pipelinePath: String, jobs: Int = 2) throws -> (RunSummary, VidpipeStore) {
        let graph = try PipelineGraph.load(path: pipelinePath)
        let store = try VidpipeStore(path: graph.config.store!)
        let scanner = InputScanner(extensions: graph.config.extensions, baseDirectory: graph.config.baseDirectory)
        let files = scanner.scan(graph.config.inputs).files
        let runner = PipelineRunner(graph: graph, store: store, options: RunOptions(jobs: jobs), logger: Logger(label: "test"))
        return (try runner.run(files: files), store)
    }

    @Test func archiveWithBadInputsRecordsEveryFileAndRerunDoesNothing() throws {
        let tmp = try TemporaryDirectory()
        let layout = try ArchiveFixture.make(in: tmp.path("videos"))
        let pipelinePath = try Self.pipeline(in: tmp.url.path)
        let (summary, store) = try Self.run(pipelinePath)

        #expect(summary.videos.done == layout.good.count)
        #expect(summary.videos.failed == layout.bad.count)
        #expect(summary.exitCode == 2)
        for (path, reason) in layout.bad {
            let failure = summary.failures.first { $0.path == path }
            #expect(failure?.error.contains(reason) == true, "\(path): \(failure?.error ?? "not failed")")
            let row = try store.findVideo(path)
            #expect(row?.status == .failed)
            #expect(row?.error?.contains(reason) == true)
        }
        for path in layout.ignored { #expect(try store.findVideo(path) == nil, "\(path) should not be scanned") }

        // the mp4 with cuts: 3 shots at 0, 1.5, 3.0 (25 fps: within one frame)
        let cuts = try #require(try store.findVideo(tmp.path("videos/cuts.mp4")))
        #expect(cuts.status == .done)
        let shots = try store.records(ShotSpan.self, videoID: cuts.id, stage: "shots")
        #expect(shots.count == 3)
        for (shot, expected) in zip(shots, [0.0, 1.5, 3.0]) { #expect(abs(shot.start - expected) <= 0.04 + 1e-9) }
        let keyframes = try store.records(SampledFrame.self, videoID: cuts.id, stage: "keyframes")
        #expect(keyframes.map(\.shotIndex) == [0, 1, 2])
        #expect(keyframes.allSatisfy { $0.jpeg.starts(with: [0xFF, 0xD8]) })
        for (frame, shot) in zip(keyframes, shots) { #expect(frame.time > shot.start && frame.time < shot.end) }
        let frames = try store.records(SampledFrame.self, videoID: cuts.id, stage: "frames")
        #expect(frames.map(\.time).map { ($0 * 10).rounded() / 10 } == [0, 1, 2, 3, 4])
        #expect(try store.records(AudioSegment.self, videoID: cuts.id, stage: "segments").isEmpty == false)

        // modality missing: skipped, not failed
        let silent = try #require(try store.findVideo(tmp.path("videos/sub/silent.mkv")))
        let silentResults = try store.stageResults(videoID: silent.id)
        #expect(silentResults.first { $0.stage == "segments" }?.status == .skipped)
        let tone = try #require(try store.findVideo(tmp.path("videos/sub/tone.m4a")))
        let toneResults = try store.stageResults(videoID: tone.id)
        #expect(toneResults.first { $0.stage == "shots" }?.status == .skipped)
        #expect(toneResults.first { $0.stage == "keyframes" }?.status == .skipped)
        #expect(toneResults.first { $0.stage == "segments" }?.status == .done)

        // the second run does no stage work
        let (again, _) = try Self.run(pipelinePath)
        #expect(again.videos.unchanged == layout.good.count)
        #expect(again.stages.allSatisfy { $0.done == 0 && $0.skipped == 0 })
        // failed inputs are retried (and fail again)
        #expect(again.videos.failed == layout.bad.count)
    }

    @Test func changingOneParameterRerunsExactlyItAndItsDescendants() throws {
        let tmp = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp.path("videos"), withIntermediateDirectories: true)
        try Fixture.hardCuts(at: tmp.path("videos/a.mp4"), shots: 2, shotSeconds: 1.5, audio: true)
        _ = try Self.run(try Self.pipeline(in: tmp.url.path))
        let (second, _) = try Self.run(try Self.pipeline(in: tmp.url.path, threshold: 30))
        let ran = second.stages.filter { $0.done > 0 }.map(\.stage).sorted()
        let reused = second.stages.filter { $0.reused > 0 }.map(\.stage).sorted()
        #expect(ran == ["keyframes", "shots"])
        #expect(reused == ["frames", "segments"])
    }

    @Test func renamedFileIsRecognisedByContent() throws {
        let tmp = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp.path("videos/old"), withIntermediateDirectories: true)
        try Fixture.hardCuts(at: tmp.path("videos/old/a.mp4"), shots: 2, shotSeconds: 1)
        let pipelinePath = try Self.pipeline(in: tmp.url.path)
        let (_, store) = try Self.run(pipelinePath)
        let before = try #require(try store.findVideo(tmp.path("videos/old/a.mp4")))
        try FileManager.default.moveItem(atPath: tmp.path("videos/old/a.mp4"), toPath: tmp.path("videos/renamed.mp4"))
        let (again, store2) = try Self.run(pipelinePath)
        #expect(again.videos.unchanged == 1)
        let after = try #require(try store2.findVideo(tmp.path("videos/renamed.mp4")))
        #expect(after.id == before.id)
    }

    @Test func secondRunOnTheSameStoreIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let held = try RunLock(store: tmp.path("a.sqlite"))
        #expect(throws: RunLock.Busy.self) { try RunLock(store: tmp.path("a.sqlite")) }
        withExtendedLifetime(held) {}
        // released on deinit: a new lock succeeds
        _ = try RunLock(store: tmp.path("b.sqlite"))
    }

    @Test func scannerTakesMediaAndExplicitFilesAndGlobs() throws {
        let tmp = try TemporaryDirectory()
        let fm = FileManager.default
        try fm.createDirectory(atPath: tmp.path("v/deep/er"), withIntermediateDirectories: true)
        for name in ["a.mp4", "b.MKV", "c.srt", ".d.mp4", "deep/e.webm", "deep/er/f.mov", "deep/er/g.txt"] {
            fm.createFile(atPath: tmp.path("v/" + name), contents: Data("x".utf8))
        }
        let scanner = InputScanner(extensions: PipelineConfig.defaultExtensions, baseDirectory: tmp.url.path)
        let dir = scanner.scan(["v"]).files.map { ($0.path as NSString).lastPathComponent }
        #expect(dir == ["a.mp4", "b.MKV", "e.webm", "f.mov"])
        let glob = scanner.scan(["v/**/*.{mov,webm}"]).files.map { ($0.path as NSString).lastPathComponent }
        #expect(glob == ["e.webm", "f.mov"])
        let explicit = scanner.scan(["v/deep/er/g.txt"]).files
        #expect(explicit.count == 1 && explicit[0].explicit)
        #expect(scanner.scan(["nope/*.mp4"]).problems.count == 1)
    }

    @Test("a ** glob does not follow symlinked folders: a link loop ends, each file is found once")
    func globIgnoresSymlinkLoops() throws {
        let tmp = try TemporaryDirectory()
        let fm = FileManager.default
        try fm.createDirectory(atPath: tmp.path("top/d"), withIntermediateDirectories: true)
        fm.createFile(atPath: tmp.path("top/d/x.mp4"), contents: Data("x".utf8))
        try fm.createSymbolicLink(atPath: tmp.path("top/d/self"), withDestinationPath: ".")
        try fm.createSymbolicLink(atPath: tmp.path("top/d/up"), withDestinationPath: "..")
        let scanner = InputScanner(extensions: PipelineConfig.defaultExtensions, baseDirectory: tmp.url.path)
        #expect(scanner.scan(["top/**/*.mp4"]).files.map(\.path) == [tmp.path("top/d/x.mp4")])
        #expect(scanner.scan(["top"]).files.map(\.path) == [tmp.path("top/d/x.mp4")])
    }

    @Test("a store named through a symlink takes the same run lock as the file itself")
    func lockFollowsSymlinkedStore() throws {
        let tmp = try TemporaryDirectory()
        FileManager.default.createFile(atPath: tmp.path("db.sqlite"), contents: Data())
        try FileManager.default.createSymbolicLink(atPath: tmp.path("link.sqlite"), withDestinationPath: tmp.path("db.sqlite"))
        let held = try RunLock(store: tmp.path("db.sqlite"))
        #expect(throws: RunLock.Busy.self) { try RunLock(store: tmp.path("link.sqlite")) }
        withExtendedLifetime(held) {}
    }

    @Test("a pipeline file with a UTF-8 byte-order mark loads; an unreadable one says why")
    func byteOrderMarkAndUnreadableFile() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path("bom.yml")
        try Data([0xEF, 0xBB, 0xBF] + Array("version: 1\nstages:\n  shots: { use: shots.detect }\n".utf8))
            .write(to: URL(fileURLWithPath: path))
        #expect(try PipelineGraph.load(path: path).stages.map(\.name) == ["shots"])
        #expect {
            try PipelineGraph.load(path: tmp.path("missing.yml"))
        } throws: { error in
            (error as? ConfigErrors)?.errors.first?.message == "cannot read the pipeline file: no such file"
        }
    }
}
