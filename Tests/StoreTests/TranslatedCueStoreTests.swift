import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

/// Translated caption cues (`captions.translate`): stored with their language beside the video's own
/// cues, numbered per language, searchable, and kept by the v7 migration.
@Suite struct TranslatedCueStoreTests {
    static let translated: [SubtitleCue] = [
        SubtitleCue(index: 1, start: 0.5, end: 2.25, lines: ["Guten Abend."], language: "de"),
        SubtitleCue(index: 2, start: 2.33, end: 5.1, lines: ["Heute werfen wir einen Blick", "auf das Wetter im ganzen Land."], language: "de"),
        SubtitleCue(index: 1, start: 0.5, end: 2.25, lines: ["Bonsoir."], language: "fr"),
        SubtitleCue(index: 2, start: 2.33, end: 5.1, lines: ["Ce soir, la météo", "dans tout le pays."], language: "fr"),
    ]

    @Test func translatedCuesRoundTripWithTheirLanguageAndAreSearchable() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "fp", sizeBytes: 1, mtimeNs: 1)
        let originals = [SubtitleCue(index: 1, start: 0.5, end: 2.25, lines: ["Good evening."]),
                         SubtitleCue(index: 2, start: 2.33, end: 5.1, lines: ["Tonight, the weather", "across the country."])]
        try store.replaceStageResult(videoID: video.id, stage: "captions", fingerprint: "c", elapsedSeconds: 0, output: .subtitles(originals))
        // Cue 1 in German and cue 1 in French, in one stage.
        try store.replaceStageResult(videoID: video.id, stage: "translate", fingerprint: "t", elapsedSeconds: 0,
                                     output: .subtitles(Self.translated))
        #expect(try store.output(.subtitles, videoID: video.id, stage: "translate") == .subtitles(Self.translated))
        #expect(try store.records(SubtitleCue.self, videoID: video.id, stage: "captions") == originals)
        let languages = try store.pool.read { db in
            try String?.fetchAll(db, sql: "SELECT language FROM subtitle_cues ORDER BY id")
        }
        #expect(languages == [nil, nil, "de", "de", "fr", "fr"])

        // Translations are indexed (kind subtitle, with their times); the originals are not (their transcript is).
        let hits = try store.search("Wetter")
        #expect(hits.count == 1)
        #expect(hits.first?.kind == .subtitle && hits.first?.stage == "translate")
        #expect(hits.first?.start_s == 2.33 && hits.first?.end_s == 5.1)
        #expect(hits.first?.text == "Heute werfen wir einen Blick auf das Wetter im ganzen Land.")
        #expect(try store.search("météo", kind: .subtitle).count == 1)
        #expect(try store.search("evening").isEmpty)
        #expect(VidpipeStore.searchKinds.contains(.subtitle))

        // A cue number stays unique per language.
        #expect(throws: (any Error).self) {
            try store.replaceStageResult(videoID: video.id, stage: "translate", fingerprint: "t2", elapsedSeconds: 0,
                                         output: .subtitles(Self.translated + [Self.translated[0]]))
        }
        // ...and that failed write left the previous result whole.
        #expect(try store.records(SubtitleCue.self, videoID: video.id, stage: "translate") == Self.translated)

        // Rerun: the stage's cues and search rows are replaced, not added to.
        try store.replaceStageResult(videoID: video.id, stage: "translate", fingerprint: "t3", elapsedSeconds: 0,
                                     output: .subtitles(Array(Self.translated.prefix(2))))
        #expect(try store.search("météo").isEmpty)
        #expect(try store.search("Wetter").count == 1)
    }

    @Test func mergedTranslatedCuesKeepTheirLanguageAndTheirSearchRowsPointAtThem() throws {
        let dir = try TemporaryDirectory()
        let shard = try VidpipeStore(path: dir.path("shard.sqlite"))
        // Rows before the video's, so ids differ between the shard and the merged store.
        let other = try shard.registerVideo(path: "/v/other.mp4", fingerprint: "fo", sizeBytes: 1, mtimeNs: 1)
        try shard.replaceStageResult(videoID: other.id, stage: "translate", fingerprint: "t", elapsedSeconds: 0,
                                     output: .subtitles(Self.translated))
        try shard.forgetVideo(path: "/v/other.mp4")
        let video = try shard.registerVideo(path: "/v/a.mp4", fingerprint: "fa", sizeBytes: 1, mtimeNs: 1)
        try shard.replaceStageResult(videoID: video.id, stage: "translate", fingerprint: "t", elapsedSeconds: 0,
                                     output: .subtitles(Self.translated))
        let all = try VidpipeStore(path: dir.path("all.sqlite"))
        _ = try all.merge(shard: shard.path, onConflict: .newer)
        let merged = try #require(try all.video(fingerprint: "fa"))
        #expect(try all.records(SubtitleCue.self, videoID: merged.id, stage: "translate") == Self.translated)
        let pointed = try all.pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT c.language || ' ' || c.idx FROM search s JOIN subtitle_cues c ON c.id = s.ref_id
                WHERE s.kind = 'subtitle' AND s.text MATCH 'Wetter OR météo' ORDER BY c.language
                """)
        }
        #expect(pointed == ["de 2", "fr 2"])
    }

    @Test func v7KeepsTheCuesOfAV6Store() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("old.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try SchemaMigrations.migrator.migrate(queue, upTo: "v6")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO videos (id, path, fingerprint, size_bytes, mtime_ns, status, updated_at) VALUES (1, '/v/a.mp4', 'fp', 1, 1, 'done', 'now')")
                try db.execute(sql: "INSERT INTO subtitle_cues (id, video_id, stage, idx, start_s, end_s, text) VALUES (7, 1, 'captions', 1, 0.5, 2.0, 'Hello\nthere')")
            }
        }
        let store = try VidpipeStore(path: path)
        #expect(try store.records(SubtitleCue.self, videoID: 1, stage: "captions")
                == [SubtitleCue(index: 1, start: 0.5, end: 2.0, lines: ["Hello", "there"])])
        try store.pool.read { db in
            #expect(try Int64.fetchOne(db, sql: "SELECT id FROM subtitle_cues") == 7)
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'subtitle_cues'")
            #expect(indexes.contains("subtitle_cues_cue"))
            #expect(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").contains("v7"))
        }
    }
}
