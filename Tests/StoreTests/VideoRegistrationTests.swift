import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

@Suite struct VideoRegistrationTests {
    @Test func renamedFileKeepsItsRowAndResults() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let first = try store.registerVideo(path: "/v/old.mp4", fingerprint: "fp-1", sizeBytes: 100, mtimeNs: 5)
        #expect(first.status == .pending)
        try store.replaceStageResult(videoID: first.id, stage: "shots", fingerprint: "s1", elapsedSeconds: 1,
                                     output: .shots([ShotSpan(index: 0, start: 0, end: 2)]))
        let moved = try store.registerVideo(path: "/v/new/renamed.mp4", fingerprint: "fp-1", sizeBytes: 100, mtimeNs: 9)
        #expect(moved.id == first.id)
        #expect(moved.path == "/v/new/renamed.mp4")
        #expect(moved.mtimeNs == 9)
        #expect(try store.records(ShotSpan.self, videoID: moved.id, stage: "shots") == [ShotSpan(index: 0, start: 0, end: 2)])
        #expect(try store.videos().count == 1)
    }

    @Test func replacedContentAtSamePathDropsOldRowAndResults() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let old = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp-old", sizeBytes: 100, mtimeNs: 5)
        try store.replaceStageResult(videoID: old.id, stage: "shots", fingerprint: "s1", elapsedSeconds: 1,
                                     output: .shots([ShotSpan(index: 0, start: 0, end: 2)]))
        try store.setVideoStatus(videoID: old.id, status: .done, error: nil, warnings: [])
        let new = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp-new", sizeBytes: 200, mtimeNs: 6)
        #expect(new.id != old.id)
        #expect(new.status == .pending)
        #expect(try store.video(id: old.id) == nil)
        #expect(try store.records(ShotSpan.self, videoID: old.id, stage: "shots").isEmpty)
        #expect(try store.stageResults(videoID: old.id).isEmpty)
        #expect(try store.stageResults(videoID: new.id).isEmpty)
        let leftovers = try store.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM shots WHERE video_id = ?", arguments: [old.id])
        }
        #expect(leftovers == 0)
    }

    @Test func fingerprintCacheHitsOnlyWhileSizeAndMtimeMatch() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        #expect(try store.knownVideo(path: "/v/a.mp4", sizeBytes: 100, mtimeNs: 5) == nil)
        _ = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp-1", sizeBytes: 100, mtimeNs: 5)
        #expect(try store.knownVideo(path: "/v/a.mp4", sizeBytes: 100, mtimeNs: 5)?.fingerprint == "fp-1")
        #expect(try store.knownVideo(path: "/v/a.mp4", sizeBytes: 101, mtimeNs: 5) == nil)
        #expect(try store.knownVideo(path: "/v/a.mp4", sizeBytes: 100, mtimeNs: 6) == nil)
        #expect(try store.knownVideo(path: "/v/b.mp4", sizeBytes: 100, mtimeNs: 5) == nil)
    }

    @Test func probeAndStatusAreStored() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp-1", sizeBytes: 100, mtimeNs: 5)
        try store.recordProbe(videoID: video.id, ProbeFields(
            durationS: 6.04, width: 240, height: 320, fps: 25, videoCodec: "h264", audioCodec: "aac",
            container: "mov,mp4,m4a,3gp,3g2,mj2", hasVideo: true, hasAudio: true, rotation: 90))
        try store.setVideoStatus(videoID: video.id, status: .failed, error: "decode error at 3.2 s",
                                 warnings: ["odd timestamps", "vfr"])
        let row = try #require(try store.video(id: video.id))
        #expect(row.durationS == 6.04)
        #expect(row.width == 240 && row.height == 320 && row.rotation == 90)
        #expect(row.fps == 25 && row.videoCodec == "h264" && row.audioCodec == "aac")
        #expect(row.container == "mov,mp4,m4a,3gp,3g2,mj2")
        #expect(row.hasVideo && row.hasAudio)
        #expect(row.status == .failed && row.error == "decode error at 3.2 s")
        #expect(row.warningList == ["odd timestamps", "vfr"])
        #expect(row.updatedAt.hasSuffix("Z") && row.updatedAt.count == 24)
        #expect(throws: StoreError.videoNotFound(id: 999)) {
            try store.setVideoStatus(videoID: 999, status: .done, error: nil, warnings: [])
        }
    }

    @Test func findVideoByIdPathSuffixAndName() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let cwd = FileManager.default.currentDirectoryPath
        let local = try store.registerVideo(path: cwd + "/clips/local.mp4", fingerprint: "fp-l", sizeBytes: 1, mtimeNs: 1)
        let a = try store.registerVideo(path: "/archive/2019/talk.mp4", fingerprint: "fp-a", sizeBytes: 1, mtimeNs: 1)
        let b = try store.registerVideo(path: "/archive/2020/talk.mp4", fingerprint: "fp-b", sizeBytes: 1, mtimeNs: 1)
        #expect(try store.findVideo(String(a.id))?.id == a.id)
        #expect(try store.findVideo("/archive/2020/talk.mp4")?.id == b.id)
        #expect(try store.findVideo("clips/local.mp4")?.id == local.id)
        #expect(try store.findVideo("./clips/../clips/local.mp4")?.id == local.id)
        #expect(try store.findVideo("local.mp4")?.id == local.id)
        #expect(try store.findVideo("2019/talk.mp4")?.id == a.id)
        #expect(try store.findVideo("nothing.mp4") == nil)
        #expect(try store.findVideo("alk.mp4") == nil)
        #expect(throws: StoreError.ambiguousVideoReference("talk.mp4", candidates: [a.path, b.path])) {
            try store.findVideo("talk.mp4")
        }
    }

    @Test func runsRecordStartAndFinish() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let run = try store.beginRun(pipelineName: "archive-captions", pipelineHash: "abc")
        try store.finishRun(id: run, status: .interrupted, videosDone: 3, videosFailed: 1)
        let row = try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [run])
        }
        #expect(row?["status"] as String? == "interrupted")
        #expect(row?["videos_done"] as Int? == 3)
        #expect(row?["videos_failed"] as Int? == 1)
        #expect(row?["finished_at"] as String? != nil)
        #expect(throws: StoreError.runNotFound(id: run + 1)) {
            try store.finishRun(id: run + 1, status: .done, videosDone: 0, videosFailed: 0)
        }
    }
}
