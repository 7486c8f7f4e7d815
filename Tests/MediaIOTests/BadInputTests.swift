import Foundation
import MediaIO
import Testing
import TestSupport

@Suite struct BadInputTests {
    private func expectMediaError(_ path: String, operation: String? = nil) {
        for open in [{ _ = try MediaProbe.probe(path: path) }, { _ = try VideoPass(path: path) }] {
            do {
                try open()
                Issue.record("opening \(path) did not throw")
            } catch let error as MediaError {
                #expect(!error.message.isEmpty)
                #expect(error.path == path)
                if let operation { #expect(error.operation == operation) }
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test("a playlist named .mp4 is refused, not decoded as the files it lists; no protocol but file")
    func playlistNamedMP4() throws {
        let dir = try TemporaryDirectory()
        _ = try runCommand("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=25",
                                      "-c:v", "mpeg2video", "-f", "mpegts", dir.path("secret.ts")])
        let local = dir.path("innocent.mp4")
        try "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsecret.ts\n#EXT-X-ENDLIST\n"
            .write(toFile: local, atomically: true, encoding: .utf8)
        expectMediaError(local, operation: "open input")
        #expect(throws: MediaError.self) { _ = try MediaProbe.probe(path: local) }
        do {
            _ = try MediaProbe.probe(path: local)
        } catch let error as MediaError {
            #expect(error.message.contains("playlist (hls)"), "\(error)")
        }
        let remote = dir.path("remote.mp4")
        try "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n"
            .write(toFile: remote, atomically: true, encoding: .utf8)
        expectMediaError(remote, operation: "open input")
    }

    @Test func zeroByteFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("empty.mp4")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        expectMediaError(path)
    }

    @Test func textNamedMKV() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("notes.mkv")
        try Data(String(repeating: "this is not a video\n", count: 50).utf8).write(to: URL(fileURLWithPath: path))
        expectMediaError(path, operation: "open input")
        do {
            _ = try MediaProbe.probe(path: path)
        } catch let error as MediaError {
            #expect(error.code < 0)
        }
    }

    @Test func missingFile() throws {
        let dir = try TemporaryDirectory()
        expectMediaError(dir.path("nope.mp4"), operation: "open input")
    }

    @Test func mp4WithoutMoov() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("cut.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 2)   // not faststart: the moov is at the end
        try MediaFixture.truncate(path, keeping: 0.6)
        expectMediaError(path)
    }

    @Test(arguments: [("ts", "libx264"), ("mkv", "libx264"), ("mkv", "mjpeg")])
    func damageInTheMiddleIsSteppedOver(container: String, codec: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("damaged.\(container)")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", codec, "-g", "25",
                    "-pix_fmt", codec == "mjpeg" ? "yuvj420p" : "yuv420p"], output: path)
        let clean = try collectFrames(path, [FrameRequest(policy: .everyFrame, maxWidth: 32)])
        #expect(clean.frames[0].count == 100)
        #expect(clean.report.warnings.isEmpty)
        try MediaFixture.corruptMiddle(path, length: 16_000)
        let (frames, report) = try collectFrames(path, [FrameRequest(policy: .everyFrame, maxWidth: 32)])
        #expect(frames[0].count > 20)
        #expect(frames[0].count < 100 || !report.warnings.isEmpty)
        let times = frames[0].map(\.time)
        #expect(times == times.sorted())
    }

    @Test func rejectedPacketsAreCountedAndSkipped() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("mjpeg.mkv")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4", "-c:v", "mjpeg",
                    "-pix_fmt", "yuvj420p"], output: path)
        try MediaFixture.blankJPEGImages(path, 40..<50)
        let (frames, report) = try collectFrames(path, [FrameRequest(policy: .everyFrame, maxWidth: 32)])
        #expect(frames[0].count == 90)
        #expect(report.warnings == ["10 packets could not be decoded"])
        // The frames around the hole keep their times.
        #expect(abs(frames[0][39].time - 1.56) < 0.001)
        #expect(abs(frames[0][40].time - 2.0) < 0.001)
    }

    @Test func nothingDecodableThrows() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("blank.mkv")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=0.4", "-c:v", "mjpeg",
                    "-pix_fmt", "yuvj420p"], output: path)
        try MediaFixture.blankJPEGImages(path, 0..<10)
        do {
            _ = try collectFrames(path, [FrameRequest(policy: .everyFrame)])
            Issue.record("a file without one decodable frame did not throw")
        } catch let error as MediaError {
            #expect(error.operation == "decode video")
            #expect(error.message.contains("10 packets could not be decoded"))
        }
    }
}
