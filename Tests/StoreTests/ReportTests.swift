import Foundation
import Records
import Testing
import TestSupport
@testable import Store

@Suite struct ReportTests {
    @Test func statusReportMatchesDesignShapeAndCounts() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let a = try store.registerVideo(path: "/v/a.mp4", fingerprint: "a", sizeBytes: 1, mtimeNs: 1)
        let b = try store.registerVideo(path: "/v/b.mp4", fingerprint: "b", sizeBytes: 1, mtimeNs: 1)
        _ = try store.registerVideo(path: "/v/c.mp4", fingerprint: "c", sizeBytes: 1, mtimeNs: 1)
        try store.setVideoStatus(videoID: a.id, status: .done, error: nil, warnings: [])
        try store.setVideoStatus(videoID: b.id, status: .failed, error: "no decodable stream", warnings: [])
        try store.replaceStageResult(videoID: a.id, stage: "shots", fingerprint: "s", elapsedSeconds: 1, output: .shots([]))
        try store.recordStageOutcome(videoID: b.id, stage: "shots", fingerprint: "s", status: .failed,
                                     error: "no decodable stream", elapsedSeconds: 0)
        try store.recordStageOutcome(videoID: a.id, stage: "ocr", fingerprint: "o", status: .skipped,
                                     error: "no text", elapsedSeconds: 0)

        let report = try store.statusReport()
        #expect(report.videos == .init(done: 1, failed: 1, pending: 1))
        #expect(report.stages == [.init(stage: "ocr", done: 0, failed: 0, skipped: 1),
                                  .init(stage: "shots", done: 1, failed: 1, skipped: 0)])
        #expect(report.failures == [.init(path: "/v/b.mp4", error: "no decodable stream")])

        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        #expect(Set(json?.keys ?? [:].keys) == ["videos", "stages", "failures", "models", "stale_models"])
        let videos = json?["videos"] as? [String: Int]
        #expect(videos == ["done": 1, "failed": 1, "pending": 1])
        let stages = json?["stages"] as? [[String: Any]]
        #expect(stages?.first.map { Set($0.keys) } == ["stage", "done", "failed", "skipped"])
        #expect(stages?.last?["stage"] as? String == "shots")
        #expect(stages?.last?["failed"] as? Int == 1)
        let failures = json?["failures"] as? [[String: String]]
        #expect(failures == [["path": "/v/b.mp4", "error": "no decodable stream"]])
    }

    @Test func emptyStoreReportsZeros() throws {
        let dir = try TemporaryDirectory()
        let report = try VidpipeStore(path: dir.path("store.sqlite")).statusReport()
        #expect(report == StatusReport(videos: .init(done: 0, failed: 0, pending: 0), stages: [], failures: []))
    }

    @Test func exportJSONParsesBackWithShotsFramesAndSegments() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp", sizeBytes: 1234, mtimeNs: 7)
        try store.recordProbe(videoID: video.id, ProbeFields(durationS: 6, width: 320, height: 240, fps: 25,
                                                             videoCodec: "h264", hasVideo: true, hasAudio: false))
        try store.setVideoStatus(videoID: video.id, status: .done, error: nil, warnings: ["vfr"])
        try store.replaceStageResult(videoID: video.id, stage: "shots", fingerprint: "s", elapsedSeconds: 0.75,
                                     output: .shots([ShotSpan(index: 0, start: 0, end: 2), ShotSpan(index: 1, start: 2, end: 6)]))
        try store.replaceStageResult(videoID: video.id, stage: "keyframes", fingerprint: "k", elapsedSeconds: 0.5,
                                     output: .frames([SampledFrame(time: 1, shotIndex: 0, phash: 0x8000_0000_0000_00AB,
                                                             width: 160, height: 120, jpeg: [1, 2, 3, 4, 5])]))
        try store.replaceStageResult(videoID: video.id, stage: "segments", fingerprint: "a", elapsedSeconds: 0.1,
                                     output: .audioSegments([AudioSegment(kind: .speech, start: 0, end: 6, loudnessDB: -.infinity)]))

        let data = try store.exportJSON(videoID: video.id)
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(root["schema_version"] as? String == VidpipeStore.schemaVersion)
        let videoJSON = try #require(root["video"] as? [String: Any])
        #expect(videoJSON["path"] as? String == "/v/a.mp4")
        #expect(videoJSON["size_bytes"] as? Int == 1234)
        #expect(videoJSON["duration_s"] as? Double == 6)
        #expect(videoJSON["audio_codec"] is NSNull)
        #expect(videoJSON["warnings"] as? [String] == ["vfr"])
        #expect(videoJSON["status"] as? String == "done")
        let stages = try #require(root["stages"] as? [String: [String: Any]])
        #expect(Set(stages.keys) == ["shots", "keyframes", "segments"])
        let shots = stages["shots"]?["shots"] as? [[String: Any]]
        #expect(shots?.count == 2)
        #expect(shots?.last?["idx"] as? Int == 1)
        #expect(shots?.last?["start_s"] as? Double == 2)
        #expect(shots?.last?["end_s"] as? Double == 6)
        #expect(stages["shots"]?["status"] as? String == "done")
        #expect(stages["shots"]?["elapsed_s"] as? Double == 0.75)
        let frame = (stages["keyframes"]?["frames"] as? [[String: Any]])?.first
        #expect(frame?["phash"] as? String == "80000000000000ab")
        #expect(frame?["jpeg_bytes"] as? Int == 5)
        #expect(frame?["jpeg"] == nil)
        #expect(frame?["t_s"] as? Double == 1)
        let segment = (stages["segments"]?["audio_segments"] as? [[String: Any]])?.first
        #expect(segment?["kind"] as? String == "speech")
        #expect(segment?["loudness_db"] is NSNull)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\n  \"schema_version\""))  // pretty, sorted: schema_version < stages < video
        #expect(text.range(of: "\"schema_version\"")!.lowerBound < text.range(of: "\"video\"")!.lowerBound)
    }

    @Test func exportOfUnknownVideoThrows() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        #expect(throws: StoreError.videoNotFound(id: 42)) { try store.exportJSON(videoID: 42) }
    }
}
