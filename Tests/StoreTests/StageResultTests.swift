import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

@Suite struct StageResultTests {
    let dir: TemporaryDirectory
    let store: VidpipeStore
    let videoID: Int64

    init() throws {
        dir = try TemporaryDirectory()
        store = try VidpipeStore(path: dir.path("store.sqlite"))
        videoID = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp-1", sizeBytes: 100, mtimeNs: 5).id
    }

    let threeShots = [ShotSpan(index: 0, start: 0, end: 2), ShotSpan(index: 1, start: 2, end: 4),
                      ShotSpan(index: 2, start: 4, end: 6)]

    @Test func replacingTwiceKeepsOneResultAndNoDuplicates() throws {
        try store.replaceStageResult(videoID: videoID, stage: "shots", fingerprint: "s1", elapsedSeconds: 1.5,
                                     output: .shots(threeShots))
        try store.replaceStageResult(videoID: videoID, stage: "shots", fingerprint: "s2", elapsedSeconds: 0.5,
                                     output: .shots(Array(threeShots.prefix(2))), note: "rerun")
        #expect(try store.records(ShotSpan.self, videoID: videoID, stage: "shots") == Array(threeShots.prefix(2)))
        let results = try store.stageResults(videoID: videoID)
        #expect(results.count == 1)
        #expect(results.first?.fingerprint == "s2")
        #expect(results.first?.status == .done)
        #expect(results.first?.elapsedS == 0.5)
        #expect(results.first?.note == "rerun")
        #expect(results.first?.error == nil)
    }

    @Test func failedWriteLeavesPreviousResultIntact() throws {
        try store.replaceStageResult(videoID: videoID, stage: "shots", fingerprint: "s1", elapsedSeconds: 1,
                                     output: .shots(threeShots))
        let duplicateIdx = [ShotSpan(index: 0, start: 0, end: 1), ShotSpan(index: 0, start: 1, end: 2)]
        #expect(throws: DatabaseError.self) {
            try store.replaceStageResult(videoID: videoID, stage: "shots", fingerprint: "s2", elapsedSeconds: 1,
                                         output: .shots(duplicateIdx))
        }
        #expect(try store.records(ShotSpan.self, videoID: videoID, stage: "shots") == threeShots)
        #expect(try store.stageResults(videoID: videoID).map(\.fingerprint) == ["s1"])
    }

    @Test func failedOutcomeClearsOldRowsButNotOtherStages() throws {
        try store.replaceStageResult(videoID: videoID, stage: "shots", fingerprint: "s1", elapsedSeconds: 1,
                                     output: .shots(threeShots))
        try store.replaceStageResult(videoID: videoID, stage: "other", fingerprint: "o1", elapsedSeconds: 1,
                                     output: .shots(threeShots))
        try store.recordStageOutcome(videoID: videoID, stage: "shots", fingerprint: "s2", status: .failed,
                                     error: "decoder gave up at 3.0 s", elapsedSeconds: 0.25)
        #expect(try store.records(ShotSpan.self, videoID: videoID, stage: "shots").isEmpty)
        #expect(try store.records(ShotSpan.self, videoID: videoID, stage: "other") == threeShots)
        let results = try store.stageResults(videoID: videoID)
        #expect(results.map(\.stage) == ["other", "shots"])
        #expect(results[1].status == .failed)
        #expect(results[1].error == "decoder gave up at 3.0 s")
        #expect(results[1].fingerprint == "s2")
        #expect(results[1].elapsedS == 0.25)
        try store.recordStageOutcome(videoID: videoID, stage: "ocr", fingerprint: "x", status: .skipped,
                                     error: "no video stream", elapsedSeconds: 0)
        let skipped = try store.stageResults(videoID: videoID).first { $0.stage == "ocr" }
        #expect(skipped?.status == .skipped)
        #expect(skipped?.error == "no video stream")
    }

    @Test func replaceClearsLaterIssuesTablesAndSearch() throws {
        try store.pool.write { db in
            try db.execute(sql: """
                INSERT INTO transcript_segments (video_id, stage, start_s, end_s, text) VALUES (?, 'speech', 0, 1, 'hello');
                INSERT INTO search (text, video_id, stage, kind, ref_id, start_s, end_s) VALUES ('hello', ?, 'speech', 'transcript', 1, 0, 1);
                INSERT INTO search (text, video_id, stage, kind, ref_id, start_s, end_s) VALUES ('kept', ?, 'ocr', 'ocr', 1, 0, 1);
                """, arguments: [videoID, videoID, videoID])
        }
        try store.replaceStageResult(videoID: videoID, stage: "speech", fingerprint: "t", elapsedSeconds: 0, output: nil)
        let (transcripts, searchTexts) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM transcript_segments"),
             try String.fetchAll(db, sql: "SELECT text FROM search"))
        }
        #expect(transcripts == 0)
        #expect(searchTexts == ["kept"])
        #expect(try store.stageResults(videoID: videoID).map(\.stage) == ["speech"])
    }

    @Test func framesRoundTripIncludingPhashWithTopBitSet() throws {
        let frames = [
            SampledFrame(time: 0.5, shotIndex: 0, phash: 0xFFFF_0000_1234_ABCD, width: 160, height: 120, jpeg: [0xFF, 0xD8, 0xFF, 0xD9]),
            SampledFrame(time: 2.5, shotIndex: nil, phash: UInt64.max, width: 160, height: 120, jpeg: [0xFF, 0xD8]),
            SampledFrame(time: 4.5, shotIndex: 2, phash: 1, width: 160, height: 120, jpeg: []),
        ]
        try store.replaceStageResult(videoID: videoID, stage: "keyframes", fingerprint: "k", elapsedSeconds: 0,
                                     output: .frames(frames))
        #expect(try store.records(SampledFrame.self, videoID: videoID, stage: "keyframes") == frames)
        let stored = try store.pool.read { db in try Int64.fetchAll(db, sql: "SELECT phash FROM frames ORDER BY t_s") }
        #expect(stored == [Int64(bitPattern: 0xFFFF_0000_1234_ABCD), -1, 1])
    }

    @Test func audioSegmentsRoundTrip() throws {
        let segments = [
            AudioSegment(kind: .silence, start: 0, end: 1.25, loudnessDB: -120),
            AudioSegment(kind: .speech, start: 1.25, end: 4, loudnessDB: -18.5),
        ]
        try store.replaceStageResult(videoID: videoID, stage: "segments", fingerprint: "a", elapsedSeconds: 0,
                                     output: .audioSegments(segments + [AudioSegment(kind: .silence, start: 4, end: 5, loudnessDB: -.infinity)]))
        let loaded = try store.records(AudioSegment.self, videoID: videoID, stage: "segments")
        #expect(Array(loaded.prefix(2)) == segments)
        #expect(loaded.last == AudioSegment(kind: .silence, start: 4, end: 5, loudnessDB: -120))
    }
}
