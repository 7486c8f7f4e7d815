import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

@Suite struct SearchTests {
    func storeWithText() throws -> (TemporaryDirectory, VidpipeStore, VideoRow, VideoRow) {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("s.sqlite"))
        let a = try store.registerVideo(path: "/archive/a.mp4", fingerprint: "fa", sizeBytes: 1, mtimeNs: 1)
        let b = try store.registerVideo(path: "/archive/b.mp4", fingerprint: "fb", sizeBytes: 1, mtimeNs: 1)
        try store.replaceStageResult(videoID: a.id, stage: "frames", fingerprint: "f", elapsedSeconds: 0, output: .frames([
            SampledFrame(time: 12.5, shotIndex: nil, phash: 1, width: 1, height: 1, jpeg: [0xFF]),
        ]))
        try store.replaceStageResult(videoID: a.id, stage: "speech", fingerprint: "x", elapsedSeconds: 0, output: .transcript([
            TranscriptSegment(start: 3.25, end: 5.5, text: "the quick brown fox jumps", confidence: 0.8,
                              words: [WordTiming(word: "the", start: 3.25, end: 3.6)]),
            TranscriptSegment(start: 61.0, end: 64.0, text: "over the lazy dog", confidence: 0.7),
        ]))
        try store.replaceStageResult(videoID: a.id, stage: "ocr", fingerprint: "o", elapsedSeconds: 0, output: .ocrText([
            OCRText(time: 12.5, text: "BREAKING NEWS", confidence: 0.9, boxes: []),
            OCRText(time: 13.0, text: "", confidence: 0, boxes: []),
        ]), frameStage: "frames")
        try store.replaceStageResult(videoID: b.id, stage: "speech", fingerprint: "x", elapsedSeconds: 0, output: .transcript([
            TranscriptSegment(start: 1.0, end: 2.0, text: "a fox in another video", confidence: 0.8),
        ]))
        return (dir, store, a, b)
    }

    @Test func findsAWordWithItsVideoAndTime() throws {
        let (dir, store, a, b) = try storeWithText()
        defer { withExtendedLifetime(dir) {} }
        let hits = try store.search("lazy")
        #expect(hits.count == 1)
        #expect(hits.first?.video_id == a.id && hits.first?.path == "/archive/a.mp4")
        #expect(hits.first?.start_s == 61.0 && hits.first?.kind == .transcript)
        #expect(hits.first?.snippet.contains("[lazy]") == true)
        let fox = try store.search("fox")
        #expect(Set(fox.map(\.video_id)) == [a.id, b.id])
        #expect(fox.allSatisfy { $0.score > 0 })
        let ocr = try store.search("breaking", kind: .ocr)
        #expect(ocr.map(\.start_s) == [12.5])
        #expect(try store.search("breaking", kind: .transcript).isEmpty)
        #expect(try store.search("fox", videoID: b.id).map(\.video_id) == [b.id])
    }

    @Test func ocrRowsPointAtTheirFrameAndEmptyTextIsNotIndexed() throws {
        let (dir, store, a, _) = try storeWithText()
        defer { withExtendedLifetime(dir) {} }
        let (frameIDs, frames) = try store.pool.read { db in
            (try Int64?.fetchAll(db, sql: "SELECT frame_id FROM ocr_texts WHERE video_id = ? ORDER BY t_s", arguments: [a.id]),
             try Int64.fetchAll(db, sql: "SELECT id FROM frames WHERE video_id = ? AND stage = 'frames'", arguments: [a.id]))
        }
        #expect(try store.records(OCRText.self, videoID: a.id, stage: "ocr").map(\.text) == ["BREAKING NEWS", ""])
        #expect(frameIDs == [frames[0], nil])
        let words = try store.records(TranscriptSegment.self, videoID: a.id, stage: "speech").first?.words
        #expect(words == [WordTiming(word: "the", start: 3.25, end: 3.6)])
        let indexed = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM search WHERE kind = 'ocr'") }
        #expect(indexed == 1)
    }

    @Test func rerunningAStageReplacesItsSearchRows() throws {
        let (dir, store, a, _) = try storeWithText()
        defer { withExtendedLifetime(dir) {} }
        try store.replaceStageResult(videoID: a.id, stage: "speech", fingerprint: "y", elapsedSeconds: 0, output: .transcript([
            TranscriptSegment(start: 0, end: 1, text: "completely different words", confidence: nil),
        ]))
        #expect(try store.search("lazy").isEmpty)
        #expect(try store.search("different").count == 1)
        #expect(try store.records(TranscriptSegment.self, videoID: a.id, stage: "speech").count == 1)
    }

    @Test(arguments: ["\"unbalanced", "fox AND", "(", "NEAR(", "  "])
    func malformedQueriesGiveAClearError(query: String) throws {
        let (dir, store, _, _) = try storeWithText()
        defer { withExtendedLifetime(dir) {} }
        #expect {
            try store.search(query)
        } throws: { error in
            guard case StoreError.invalidSearchQuery(let q, let reason)? = error as? StoreError else { return false }
            return q == query && !reason.isEmpty && "\(error)".contains("cannot search for")
        }
    }

    @Test func subtitleCuesRoundTripAndAreFoundByStage() throws {
        let (dir, store, a, _) = try storeWithText()
        defer { withExtendedLifetime(dir) {} }
        try store.replaceStageResult(videoID: a.id, stage: "captions", fingerprint: "c", elapsedSeconds: 0, output: .subtitles([
            SubtitleCue(index: 1, start: 3.25, end: 5.5, lines: ["the quick brown", "fox jumps"]),
        ]))
        #expect(try store.stages(storing: .subtitles, videoID: a.id) == ["captions"])
        #expect(try store.records(SubtitleCue.self, videoID: a.id, stage: "captions").first?.lines == ["the quick brown", "fox jumps"])
        let stored = try store.pool.read { db in try String.fetchOne(db, sql: "SELECT text FROM subtitle_cues") }
        #expect(stored == "the quick brown\nfox jumps")
    }
}
