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

    @Test func zeroByteFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("empty.mp4")
        FileManager.default.createFile(atPath: path, contents: Data())
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

    @Test(arguments: ["ts", "mkv"])
    func damageInTheMiddleIsSteppedOver(container: String) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("damaged.\(container)")
        try MediaFixture.h264AAC(at: path, seconds: 4, gop: 25)
        let clean = try collectFrames(path, [FrameRequest(policy: .everyFrame, maxWidth: 32)])
        #expect(clean.frames[0].count == 100)
        try MediaFixture.corruptMiddle(path, length: 16_000)
        let (frames, report) = try collectFrames(path, [FrameRequest(policy: .everyFrame, maxWidth: 32)])
        #expect(frames[0].count > 20)
        #expect(frames[0].count < 100 || !report.warnings.isEmpty)
        let times = frames[0].map(\.time)
        #expect(times == times.sorted())
    }
}
