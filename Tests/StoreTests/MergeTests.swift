import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

/// `VidpipeStore.merge(shard:onConflict:)`: shard stores written through the Store API, merged, and
/// compared row by row without ids (every pointer followed to what it points at).
@Suite struct MergeTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    func store(_ name: String) throws -> VidpipeStore { try VidpipeStore(path: dir.path(name)) }

    /// A video with a result of every kind: frames with OCR text and captions pointing at them, a
    /// transcript, cues, shots, audio, reasoning, an embedding, the fused timeline, and a failed stage.
    @discardableResult
    static func fill(_ store: VidpipeStore, path: String, fingerprint: String, variant: Int = 0,
                     fingerprints: String = "1") throws -> VideoRow {
        let video = try store.registerVideo(path: path, fingerprint: fingerprint, sizeBytes: 1000 + Int64(variant), mtimeNs: 7)
        let id = video.id, v = Double(variant)
        func put(_ stage: String, _ output: StageOutput, frameStage: String? = nil) throws {
            try store.replaceStageResult(videoID: id, stage: stage, fingerprint: "\(stage)-\(fingerprints)", elapsedSeconds: 0.5,
                                         output: output, frameStage: frameStage, note: "note \(variant)")
        }
        try put("frames", .frames((0..<3).map {
            SampledFrame(time: Double($0) + v / 10, shotIndex: $0 / 2, phash: UInt64($0 + variant) << 60, width: 4, height: 3,
                         jpeg: [0xFF, 0xD8, UInt8($0), UInt8(variant % 256)])
        }))
        try put("shots", .shots([ShotSpan(index: 0, start: 0, end: 2), ShotSpan(index: 1, start: 2, end: 3 + v)]))
        try put("ocr", .ocrText([
            OCRText(time: 0 + v / 10, text: "SIGN \(variant) zero", confidence: 0.9,
                    boxes: [TextBox(x: 1, y: 2, width: 3, height: 4, text: "SIGN", confidence: 0.9)]),
            OCRText(time: 1 + v / 10, text: "SIGN \(variant) one", confidence: 0.8, boxes: [], reusedFrom: v / 10),
            OCRText(time: 2 + v / 10, text: "", confidence: 0, boxes: []),
        ]), frameStage: "frames")
        try put("captions", .captions([FrameCaption(time: 1 + v / 10, text: "a red sign \(variant)", model: "vlm")]),
                frameStage: "frames")
        try put("speech", .transcript([
            TranscriptSegment(start: 0.5, end: 1.5, text: "hello archive \(variant)", confidence: 0.7,
                              words: [WordTiming(word: "hello", start: 0.5, end: 0.9, confidence: 0.6)], language: "en"),
            TranscriptSegment(start: 2, end: 2.5, text: "second line", confidence: nil),
        ]))
        try put("cues", .subtitles([SubtitleCue(index: 1, start: 0.5, end: 1.5, lines: ["hello archive \(variant)"])]))
        try put("audio", .audioSegments([AudioSegment(kind: .speech, start: 0, end: 2, loudnessDB: -20 - v)]))
        try put("reason", .reasoning([
            ReasoningItem(task: .summary, index: 0, start: 0, end: 3, text: "a talk \(variant)", json: nil, model: "llm"),
            ReasoningItem(task: .chapters, index: 0, start: 0, end: 1, text: "intro", json: #"{"title":"intro"}"#, model: "llm"),
        ]))
        try put("embed", .embeddings([Embedding(refKind: .caption, start: 1, end: 1, text: "a red sign", vector: [1, 2, Float(v)], model: "e")]))
        try put("timeline", .timeline([FusedShot(index: 0, start: 0, end: 2, keyframe: 1, captions: [TimedText(start: 1, end: 1, text: "c")],
                                                 ocr: [], transcript: [TimedText(start: 0.5, end: 1.5, text: "hello")])]))
        try store.recordStageOutcome(videoID: id, stage: "whisper", fingerprint: "whisper-\(fingerprints)", status: .failed,
                                     error: "model server unreachable", elapsedSeconds: 0.1)
        try store.setVideoStatus(videoID: id, status: .failed, error: "whisper: model server unreachable", warnings: ["w \(variant)"])
        return try store.video(id: id)!
    }

    /// Every row of the store without its ids, sorted: a row that points at another shows what it
    /// points at (a frame by stage and time, a search row by the text of its row).
    static func contents(_ store: VidpipeStore) throws -> [String] {
        try store.pool.read { db in
            var lines: [String] = []
            func add(_ name: String, _ sql: String) throws {
                lines += try Row.fetchAll(db, sql: sql).map { name + " " + $0.description }
            }
            try add("video", "SELECT path, fingerprint, size_bytes, mtime_ns, duration_s, status, error, warnings, updated_at FROM videos")
            try add("result", """
                SELECT v.path, r.stage, r.fingerprint, r.status, r.error, r.elapsed_s, r.finished_at, r.note
                FROM stage_results r JOIN videos v ON v.id = r.video_id
                """)
            for type in StoredRecords.types {
                let names = try Row.fetchAll(db, sql: "PRAGMA table_info(\(type.table))").map { $0["name"] as String }
                // quote() shows a BLOB's bytes (a JPEG, a vector), not only its size.
                let columns = names.filter { !["id", "video_id", "frame_id"].contains($0) }.map { "quote(t.\($0)) AS \($0)" }
                let frame = names.contains("frame_id")
                    ? ", (SELECT f.stage || '@' || f.t_s FROM frames f WHERE f.id = t.frame_id AND f.video_id = t.video_id) AS frame" : ""
                try add(type.table, "SELECT v.path, \(columns.joined(separator: ", "))\(frame) FROM \(type.table) t JOIN videos v ON v.id = t.video_id")
            }
            let pointed = TextKind.allCases.map {
                "WHEN '\($0.rawValue)' THEN (SELECT \($0 == .frame || $0 == .timeline ? "''" : "text") FROM \(ShardMerge.table(of: $0)) "
                    + "WHERE id = s.ref_id AND video_id = s.video_id)"
            }.joined(separator: " ")
            try add("search", """
                SELECT v.path, s.stage, s.kind, s.text, s.start_s, s.end_s, CASE s.kind \(pointed) END AS pointed
                FROM search s JOIN videos v ON v.id = s.video_id
                """)
            try add("call", "SELECT request_hash, provider, endpoint, model, total_tokens, quote(response), created_at FROM model_calls")
            try add("run", "SELECT pipeline_name, pipeline_hash, started_at, finished_at, status, videos_done FROM runs")
            return lines.sorted()
        }
    }

    /// Every row with its ids, in id order: equal before and after means nothing changed at all.
    static func rawRows(_ store: VidpipeStore) throws -> [String] {
        try store.pool.read { db in
            let tables = ["videos", "runs", "stage_results", "model_calls", "search"] + StoredRecords.types.map { $0.table }
            return try tables.flatMap { table in
                try Row.fetchAll(db, sql: "SELECT rowid, * FROM \(table) ORDER BY rowid").map { table + " " + $0.description }
            }
        }
    }

    @Test func shardsMergeIntoANewStoreWithEveryRowAndPointer() throws {
        let a = try store("a.sqlite"), b = try store("b.sqlite")
        // Ids differ between the stores: b holds more rows before its videos.
        try Self.fill(a, path: "/v/one.mp4", fingerprint: "f1", variant: 1)
        try Self.fill(b, path: "/v/gone.mp4", fingerprint: "fx", variant: 9)
        try b.forgetVideo(path: "/v/gone.mp4")
        try Self.fill(b, path: "/v/two.mp4", fingerprint: "f2", variant: 2)
        try Self.fill(b, path: "/v/three.mp4", fingerprint: "f3", variant: 3)
        try a.recordModelCall(requestHash: "h1", provider: "p", endpoint: "/chat/completions", model: "m", promptTokens: 1,
                              completionTokens: 2, totalTokens: 3, elapsedSeconds: 0.1, response: [1])
        let run = try b.beginRun(pipelineName: "p", pipelineHash: "ph")
        try b.finishRun(id: run, status: .done, videosDone: 2, videosFailed: 0)

        let all = try store("all.sqlite")
        let ra = try all.merge(shard: a.path, onConflict: .newer)
        let rb = try all.merge(shard: b.path, onConflict: .newer)
        #expect(ra.videos == 1 && ra.videosAdded == 1 && ra.stagesCopied == 11 && ra.modelCallsAdded == 1 && ra.runsAdded == 0)
        #expect(rb.videos == 2 && rb.videosAdded == 2 && rb.stagesCopied == 22 && rb.runsAdded == 1)
        #expect(ra.conflicts.isEmpty && rb.conflicts.isEmpty && rb.pathsReplaced.isEmpty)
        #expect(try Self.contents(all) == (Self.contents(a) + Self.contents(b)).sorted())

        // Records read back through the API, and the pointers: OCR text at its frame, search rows at their rows.
        let two = try #require(try all.video(fingerprint: "f2"))
        #expect(try all.records(OCRText.self, videoID: two.id, stage: "ocr")
                == b.records(OCRText.self, videoID: b.video(fingerprint: "f2")!.id, stage: "ocr"))
        let broken = try all.pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM ocr_texts o LEFT JOIN frames f ON f.id = o.frame_id
                WHERE f.id IS NULL OR f.video_id <> o.video_id OR abs(f.t_s - o.t_s) > 0.0005
                """)
        }
        #expect(broken == 0)
        #expect(try all.search("SIGN", kind: .ocr).count == 6)
        #expect(try all.search("sign", kind: .caption).map(\.text).sorted() == ["a red sign 1", "a red sign 2", "a red sign 3"])
    }

    @Test func mergingTheSameShardAgainChangesNothing() throws {
        let a = try store("a.sqlite")
        try Self.fill(a, path: "/v/one.mp4", fingerprint: "f1", variant: 1)
        try Self.fill(a, path: "/v/two.mp4", fingerprint: "f2", variant: 2)
        try a.recordModelCall(requestHash: "h1", provider: "p", endpoint: "/e", model: "m", promptTokens: 1, completionTokens: 1,
                              totalTokens: 2, elapsedSeconds: 0, response: [1])
        _ = try a.beginRun(pipelineName: "p", pipelineHash: "ph")
        let all = try store("all.sqlite")
        try Self.fill(all, path: "/v/zero.mp4", fingerprint: "f0")
        _ = try all.merge(shard: a.path, onConflict: .newer)
        let before = try Self.rawRows(all)
        let again = try all.merge(shard: a.path, onConflict: .fail)
        #expect(again.videosAdded == 0 && again.videosUpdated == 0 && again.stagesCopied == 0)
        #expect(again.modelCallsAdded == 0 && again.runsAdded == 0 && again.conflicts.isEmpty)
        #expect(try Self.rawRows(all) == before)
    }

    @Test func aFailedStageTakesTheShardsResultAndADoneOneStays() throws {
        let all = try store("all.sqlite"), a = try store("a.sqlite")
        let target = try Self.fill(all, path: "/v/one.mp4", fingerprint: "f1", variant: 1)
        let shard = try Self.fill(a, path: "/v/one.mp4", fingerprint: "f1", variant: 1)
        // The shard transcribed where the target failed, and failed OCR the target has.
        try a.replaceStageResult(videoID: shard.id, stage: "whisper", fingerprint: "whisper-1", elapsedSeconds: 2,
                                 output: .transcript([TranscriptSegment(start: 0, end: 1, text: "recovered words", confidence: 0.9)]))
        try a.recordStageOutcome(videoID: shard.id, stage: "ocr", fingerprint: "ocr-1", status: .failed, error: "tesseract crashed",
                                 elapsedSeconds: 0)
        try a.setVideoStatus(videoID: shard.id, status: .done, error: nil, warnings: [])
        let report = try all.merge(shard: a.path, onConflict: .fail)
        #expect(report.stagesCopied == 1 && report.videosUpdated == 1 && report.conflicts.isEmpty)
        #expect(try all.records(TranscriptSegment.self, videoID: target.id, stage: "whisper").map(\.text) == ["recovered words"])
        #expect(try all.records(OCRText.self, videoID: target.id, stage: "ocr").count == 3)
        let results = Dictionary(uniqueKeysWithValues: try all.stageResults(videoID: target.id).map { ($0.stage, $0.status) })
        #expect(results["whisper"] == .done && results["ocr"] == .done)
        // The shard's row is done, the target's failed: the done row wins.
        #expect(try all.video(id: target.id)?.status == .done)
        #expect(try all.search("recovered").first?.video_id == target.id)
    }

    @Test func ocrCopiedOntoTheTargetsOwnFramesPointsAtThem() throws {
        let all = try store("all.sqlite"), a = try store("a.sqlite")
        try Self.fill(all, path: "/v/pad.mp4", fingerprint: "f0", variant: 5)
        let target = try all.registerVideo(path: "/v/one.mp4", fingerprint: "f1", sizeBytes: 1, mtimeNs: 1)
        let shard = try a.registerVideo(path: "/v/one.mp4", fingerprint: "f1", sizeBytes: 1, mtimeNs: 1)
        let frames = (0..<3).map { SampledFrame(time: Double($0), shotIndex: nil, phash: 0, width: 1, height: 1, jpeg: [UInt8($0)]) }
        for (store, id) in [(all, target.id), (a, shard.id)] {
            try store.replaceStageResult(videoID: id, stage: "frames", fingerprint: "same", elapsedSeconds: 0, output: .frames(frames))
        }
        try a.replaceStageResult(videoID: shard.id, stage: "ocr", fingerprint: "o", elapsedSeconds: 0,
                                 output: .ocrText([OCRText(time: 2, text: "EXIT", confidence: 1, boxes: [])]), frameStage: "frames")
        let report = try all.merge(shard: a.path, onConflict: .newer)
        #expect(report.stagesCopied == 1)
        let pointed = try all.pool.read { db in
            try Double.fetchOne(db, sql: "SELECT f.t_s FROM ocr_texts o JOIN frames f ON f.id = o.frame_id AND f.video_id = ? WHERE o.video_id = ?",
                                arguments: [target.id, target.id])
        }
        #expect(pointed == 2)
    }

    @Test(arguments: [ConflictPolicy.newer, .keep])
    func twoFinishedResultsUnderDifferentFingerprintsAreAConflict(policy: ConflictPolicy) throws {
        let all = try store("all.sqlite"), a = try store("a.sqlite")
        // The target's results finished first, the shard's later (timestamps have milliseconds).
        let bystander = try Self.fill(all, path: "/v/other.mp4", fingerprint: "f9", variant: 9, fingerprints: "old")
        let target = try Self.fill(all, path: "/v/one.mp4", fingerprint: "f1", variant: 1, fingerprints: "old")
        Thread.sleep(forTimeInterval: 0.01)
        try Self.fill(a, path: "/v/one.mp4", fingerprint: "f1", variant: 2, fingerprints: "new")
        let before = try all.records(OCRText.self, videoID: target.id, stage: "ocr")
        let report = try all.merge(shard: a.path, onConflict: policy)
        let kept: MergeSide = policy == .newer ? .shard : .target
        // Ten done stages conflict; the failed whisper stage is a newer failure, not a conflict.
        #expect(report.conflicts.count == 10)
        #expect(report.conflicts.allSatisfy { $0.kept == kept && $0.path == "/v/one.mp4" && $0.shard == a.path })
        #expect(report.conflicts.map(\.stage) == ["audio", "captions", "cues", "embed", "frames", "ocr", "reason", "shots", "speech", "timeline"])
        let ocr = try all.records(OCRText.self, videoID: target.id, stage: "ocr")
        #expect(ocr.first?.text == (kept == .shard ? "SIGN 2 zero" : "SIGN 1 zero"))
        #expect(kept == .target ? ocr == before : ocr != before)
        #expect(try all.search("SIGN", kind: .ocr, videoID: target.id).count == 2)
        #expect(try all.search("SIGN", kind: .ocr, videoID: bystander.id).map(\.text).sorted() == ["SIGN 9 one", "SIGN 9 zero"])
        if kept == .shard {
            #expect(try Self.contents(all).filter { $0.contains("\"/v/one.mp4\"") } == Self.contents(a))
        }
        // Merging again meets the same conflicts and changes nothing.
        let rows = try Self.rawRows(all)
        let again = try all.merge(shard: a.path, onConflict: policy)
        #expect(try Self.rawRows(all) == rows)
        #expect(again.stagesCopied == 0 && again.conflicts.count == (kept == .shard ? 0 : 10))
    }

    @Test func failPolicyMergesNothingOfAShardWithAConflict() throws {
        let all = try store("all.sqlite"), a = try store("a.sqlite")
        try Self.fill(all, path: "/v/one.mp4", fingerprint: "f1", fingerprints: "old")
        try Self.fill(a, path: "/v/new.mp4", fingerprint: "f0")
        try Self.fill(a, path: "/v/one.mp4", fingerprint: "f1", fingerprints: "new")
        let rows = try Self.rawRows(all)
        #expect {
            _ = try all.merge(shard: a.path, onConflict: .fail)
        } throws: { error in
            guard case MergeError.conflicts(let shard, let conflicts) = error else { return false }
            return shard == a.path && conflicts.count == 10 && conflicts.allSatisfy { $0.path == "/v/one.mp4" }
        }
        #expect(try Self.rawRows(all) == rows)
    }

    @Test func aPathHoldingOtherContentKeepsTheRowUpdatedLast() throws {
        let all = try store("all.sqlite"), old = try store("old.sqlite"), new = try store("new.sqlite")
        try Self.fill(old, path: "/v/one.mp4", fingerprint: "before", variant: 1)
        Thread.sleep(forTimeInterval: 0.01)
        try Self.fill(all, path: "/v/one.mp4", fingerprint: "middle", variant: 2)
        Thread.sleep(forTimeInterval: 0.01)
        try Self.fill(new, path: "/v/one.mp4", fingerprint: "after", variant: 3)

        let kept = try all.merge(shard: old.path, onConflict: .newer)
        #expect(kept.pathsReplaced == [ReplacedPath(path: "/v/one.mp4", kept: .target, shard: old.path)])
        #expect(kept.videosAdded == 0 && kept.stagesCopied == 0)
        #expect(try all.videos().map(\.fingerprint) == ["middle"])

        let replaced = try all.merge(shard: new.path, onConflict: .newer)
        #expect(replaced.pathsReplaced == [ReplacedPath(path: "/v/one.mp4", kept: .shard, shard: new.path)])
        #expect(try all.videos().map(\.fingerprint) == ["after"])
        #expect(try Self.contents(all) == Self.contents(new))
        #expect(try all.search("SIGN", kind: .ocr).map(\.text).sorted() == ["SIGN 3 one", "SIGN 3 zero"])
    }

    @Test func modelCallsAreUnionedByRequestAndRunsAppendedOnce() throws {
        let all = try store("all.sqlite"), a = try store("a.sqlite")
        for (store, hashes) in [(all, ["h1", "h2"]), (a, ["h2", "h3"])] {
            for hash in hashes {
                try store.recordModelCall(requestHash: hash, provider: "p", endpoint: "/e", model: "m", promptTokens: 1,
                                          completionTokens: 1, totalTokens: 2, elapsedSeconds: 0, response: Array(hash.utf8))
            }
            let run = try store.beginRun(pipelineName: "p", pipelineHash: "ph")
            try store.finishRun(id: run, status: .done, videosDone: 0, videosFailed: 0)
            Thread.sleep(forTimeInterval: 0.01)
        }
        let report = try all.merge(shard: a.path, onConflict: .newer)
        #expect(report.modelCallsAdded == 1 && report.runsAdded == 1)
        _ = try all.merge(shard: a.path, onConflict: .newer)
        #expect(try all.modelUsage().first?.calls == 3)
        #expect(try all.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") } == 2)
    }

    @Test func aShardOfAnotherSchemaOrNoStoreIsRefused() throws {
        let all = try store("all.sqlite")
        let newer = try store("newer.sqlite"), older = try store("older.sqlite")
        try newer.pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        try older.pool.write { db in try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [VidpipeStore.schemaVersion]) }
        #expect(throws: StoreError.newerSchema(path: newer.path, version: "v99")) {
            try all.merge(shard: newer.path, onConflict: .newer)
        }
        let previous = SchemaMigrations.identifiers.dropLast().last!
        #expect(throws: StoreError.olderSchema(path: older.path, version: previous)) {
            try all.merge(shard: older.path, onConflict: .newer)
        }
        _ = FileManager.default.createFile(atPath: dir.path("empty.sqlite"), contents: Data())
        #expect(throws: StoreError.notAStore(path: dir.path("empty.sqlite"))) {
            try all.merge(shard: dir.path("empty.sqlite"), onConflict: .newer)
        }
        #expect(throws: MergeError.unreadableShard(path: dir.path("missing.sqlite"), reason: "no such file or directory")) {
            try all.merge(shard: dir.path("missing.sqlite"), onConflict: .newer)
        }
        #expect(throws: MergeError.shardIsTarget(path: all.path)) { try all.merge(shard: all.path, onConflict: .newer) }
        #expect(try all.videos().isEmpty)
    }

    @Test func stageChoices() {
        func state(_ fingerprint: String, _ status: StageStatus, _ at: String) -> StageState {
            StageState(fingerprint: fingerprint, status: status, finishedAt: at)
        }
        let cases: [(StageState?, StageState, StageState.Choice)] = [
            (nil, state("a", .failed, "1"), .copy),
            (state("a", .done, "1"), state("a", .done, "2"), .keep),
            (state("a", .failed, "1"), state("a", .done, "0"), .copy),
            (state("a", .failed, "1"), state("b", .skipped, "0"), .copy),
            (state("a", .done, "1"), state("b", .failed, "2"), .keep),
            (state("a", .failed, "1"), state("b", .failed, "2"), .copy),
            (state("a", .failed, "2"), state("b", .failed, "1"), .keep),
            (state("a", .done, "1"), state("b", .done, "2"), .conflict),
            (state("a", .skipped, "1"), state("b", .done, "0"), .conflict),
        ]
        for (target, source, expected) in cases {
            #expect(StageState.choose(target: target, source: source) == expected, "\(String(describing: target)) vs \(source)")
        }
        let (t, s) = (state("a", .done, "2025-01-01T00:00:00.001Z"), state("b", .done, "2025-01-01T00:00:00.002Z"))
        #expect(StageState.resolve(target: t, source: s, policy: .newer) == .shard)
        #expect(StageState.resolve(target: s, source: t, policy: .newer) == .target)
        #expect(StageState.resolve(target: t, source: t, policy: .newer) == .target)
        #expect(StageState.resolve(target: t, source: s, policy: .keep) == .target)
        #expect(StageState.resolve(target: t, source: s, policy: .fail) == nil)
    }
}
