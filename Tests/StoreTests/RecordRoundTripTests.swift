import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

/// Every kind of stage record goes into the store and comes back equal: the store has a table and a
/// GRDB mapping for each (what `replaceStageResult` relies on when it writes any `StageOutput`).
@Suite struct RecordRoundTripTests {
    static let outputs: [StageOutput] = [
        .shots([ShotSpan(index: 0, start: 0, end: 2.5), ShotSpan(index: 1, start: 2.5, end: 4)]),
        .frames([SampledFrame(time: 1.25, shotIndex: 0, phash: 0x8000_0000_0000_0001, width: 64, height: 36, jpeg: [0xFF, 0xD8, 1])]),
        .audioSegments([AudioSegment(kind: .speech, start: 0, end: 1.5, loudnessDB: -21.5),
                        AudioSegment(kind: .silence, start: 1.5, end: 4, loudnessDB: -120)]),
        .transcript([TranscriptSegment(start: 0.5, end: 1.4, text: "Hello there.", confidence: 0.9,
                                       words: [WordTiming(word: "Hello", start: 0.5, end: 0.9, confidence: 0.8),
                                               WordTiming(word: "there.", start: 0.9, end: 1.4)], language: "en")]),
        .ocrText([OCRText(time: 1.25, text: "BREAKING", confidence: 0.75,
                          boxes: [TextBox(x: 1, y: 2, width: 30, height: 8, text: "BREAKING", confidence: 0.75)], reusedFrom: 0.25)]),
        .subtitles([SubtitleCue(index: 1, start: 0.5, end: 1.4, lines: ["Hello", "there."])]),
        .captions([FrameCaption(time: 1.25, text: "A news desk.", model: "vlm", reusedFrom: nil)]),
        .embeddings([Embedding(refKind: .transcript, start: 0.5, end: 1.4, text: "Hello there.", vector: [0.25, -1, 3], model: "e")]),
        .timeline([FusedShot(index: 0, start: 0, end: 2.5, keyframe: 1.25, captions: [TimedText(start: 1.25, end: 1.25, text: "A news desk.")],
                             ocr: [], transcript: [TimedText(start: 0.5, end: 1.4, text: "Hello there.")])]),
        .reasoning([ReasoningItem(task: .chapters, index: 0, start: 0, end: 4, text: "Opening", json: #"{"title":"Opening"}"#, model: "llm")]),
    ]

    @Test func everyKindIsStoredAndLoadedBackEqual() throws {
        #expect(Set(Self.outputs.map(\.kind)) == Set(DataKind.allCases).subtracting([.media]))
        #expect(Set(StoredRecords.types.map { $0.kind }) == Set(DataKind.allCases).subtracting([.media]))
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp", sizeBytes: 1, mtimeNs: 1)
        for output in Self.outputs {
            let stage = output.kind.rawValue
            try store.replaceStageResult(videoID: video.id, stage: stage, fingerprint: "f", elapsedSeconds: 0, output: output,
                                         frameStage: "frames")
            #expect(try store.output(output.kind, videoID: video.id, stage: stage) == output, "\(output.kind)")
        }
        #expect(try store.output(.media, videoID: video.id, stage: "x") == nil)
        // Records that describe a frame point at it; texts are in the search index under their kind.
        let (frameIDs, kinds) = try store.pool.read { db in
            (try Int64?.fetchAll(db, sql: "SELECT frame_id FROM ocr_texts UNION ALL SELECT frame_id FROM captions"),
             try String.fetchAll(db, sql: "SELECT kind FROM search ORDER BY kind"))
        }
        #expect(frameIDs.count == 2 && frameIDs.allSatisfy { $0 != nil })
        #expect(kinds == ["caption", "ocr", "reasoning", "transcript"])
    }
}

/// Read commands open the store read-only: nothing is written, nothing migrated, no schema put into
/// a file that is not a store.
@Suite struct ReadOnlyStoreTests {
    @Test func aStoreOpenedReadOnlyIsReadAndNeverWritten() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("store.sqlite")
        do {
            let store = try VidpipeStore(path: path)
            let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp", sizeBytes: 1, mtimeNs: 1)
            try store.replaceStageResult(videoID: video.id, stage: "shots", fingerprint: "f", elapsedSeconds: 0,
                                         output: .shots([ShotSpan(index: 0, start: 0, end: 1)]))
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try VidpipeStore(path: path, readOnly: true)
        #expect(try reader.statusReport().stages.map(\.stage) == ["shots"])
        #expect(try reader.records(ShotSpan.self, videoID: 1, stage: "shots").count == 1)
        #expect(throws: (any Error).self) { _ = try reader.beginRun(pipelineName: "x", pipelineHash: "y") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aFileThatIsNotAStoreIsRefusedUntouched() throws {
        let dir = try TemporaryDirectory()
        for (name, bytes) in [("empty.sqlite", Data()), ("notes.txt", Data("hello\n".utf8))] {
            let path = dir.path(name)
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect(throws: StoreError.notAStore(path: path)) { _ = try VidpipeStore(path: path, readOnly: true) }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        }
        // An SQLite file of another application is not a store either.
        let other = dir.path("other.sqlite")
        _ = try runCommand("sqlite3", [other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"])
        #expect(throws: StoreError.notAStore(path: other)) { _ = try VidpipeStore(path: other, readOnly: true) }
    }
}
