import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

/// `conversations` and `conversation_turns` through the Store API: turns appended in pairs, a fold
/// placed after the turns it stands for, the latest conversation per video or archive, and merge.
@Suite struct ConversationStoreTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    func lines(_ turns: [ConversationTurn]) -> [String] { turns.map { "\($0.idx) \($0.role.rawValue) \($0.text)" } }

    @Test func exchangesAppendAndAFoldGoesAfterTheTurnsItStandsFor() throws {
        let store = try VidpipeStore(path: dir.path("s.sqlite"))
        let video = try store.registerVideo(path: "/v/a.mp4", fingerprint: "a", sizeBytes: 1, mtimeNs: 0)
        let id = try store.appendExchange(conversationID: nil, videoID: video.id, provider: "local", model: "m1",
                                          question: "q0", answer: "a0", citations: #"[{"end_s":4,"start_s":2}]"#)
        try store.appendExchange(conversationID: id, videoID: video.id, provider: "local", model: "m1", question: "q1", answer: "a1",
                                 citations: "[]")
        try store.appendExchange(conversationID: id, videoID: video.id, provider: "local", model: "m2", question: "q2", answer: "a2",
                                 citations: nil)
        // Fold the first two exchanges (turns 0–3): the summary becomes turn 4, the third exchange moves on.
        try store.appendExchange(conversationID: id, videoID: video.id, provider: "local", model: "m2",
                                 fold: ConversationFold(afterIdx: 3, text: "s"), question: "q3", answer: "a3", citations: nil)
        let turns = try store.conversationTurns(id)
        #expect(lines(turns) == ["0 user q0", "1 assistant a0", "2 user q1", "3 assistant a1", "4 summary s", "5 user q2",
                                 "6 assistant a2", "7 user q3", "8 assistant a3"])
        #expect(turns[1].citations == #"[{"end_s":4,"start_s":2}]"#)
        #expect(turns.allSatisfy { $0.createdAt.hasSuffix("Z") })
        let row = try #require(try store.latestConversation(videoID: video.id))
        #expect(row.id == id && row.model == "m2" && row.provider == "local" && row.videoID == video.id)
        #expect(try store.latestConversation(videoID: nil) == nil)

        // An archive-wide conversation is apart from the video's; the latest one wins.
        let archive = try store.appendExchange(conversationID: nil, videoID: nil, provider: "local", model: "m", question: "all?",
                                               answer: "yes", citations: nil)
        #expect(try store.latestConversation(videoID: nil)?.id == archive)
        #expect(try store.latestConversation(videoID: video.id)?.id == id)
        let newer = try store.appendExchange(conversationID: nil, videoID: video.id, provider: "local", model: "m", question: "new",
                                             answer: "one", citations: nil)
        #expect(try store.latestConversation(videoID: video.id)?.id == newer)

        // A conversation that went away (its video deleted) is a clear error, and nothing is written.
        try store.forgetVideo(path: "/v/a.mp4")
        #expect(try store.conversation(id: id) == nil)
        #expect(throws: StoreError.conversationNotFound(id: id)) {
            try store.appendExchange(conversationID: id, videoID: video.id, provider: "local", model: "m", question: "q", answer: "a",
                                     citations: nil)
        }
        #expect(try store.conversationTurns(id).isEmpty)
    }

    @Test func aReadOnlyStoreSaysSo() throws {
        let path = dir.path("s.sqlite")
        try VidpipeStore(path: path).close()
        #expect(try VidpipeStore(path: path, readOnly: true).isReadOnly)
        #expect(try !VidpipeStore(path: path).isReadOnly)
    }

    /// Shards never hold conversations (only `ask` writes them, on the merged store): a merge keeps the
    /// target's conversations as they are and copies none.
    @Test func mergeKeepsTheTargetsConversations() throws {
        let target = try VidpipeStore(path: dir.path("all.sqlite"))
        let video = try MergeTests.fill(target, path: "/v/a.mp4", fingerprint: "a")
        let id = try target.appendExchange(conversationID: nil, videoID: video.id, provider: "p", model: "m", question: "q",
                                           answer: "a", citations: "[]")
        try target.appendExchange(conversationID: nil, videoID: nil, provider: "p", model: "m", question: "all?", answer: "yes",
                                  citations: nil)
        let shard = try VidpipeStore(path: dir.path("shard.sqlite"))
        try MergeTests.fill(shard, path: "/v/b.mp4", fingerprint: "b", variant: 1)
        try shard.appendExchange(conversationID: nil, videoID: nil, provider: "p", model: "m", question: "shard?", answer: "no",
                                 citations: nil)
        shard.close()
        _ = try target.merge(shard: dir.path("shard.sqlite"), onConflict: .newer)
        #expect(try target.videos().count == 2)
        #expect(lines(try target.conversationTurns(id)) == ["0 user q", "1 assistant a"])
        let all = try target.pool.read { db in try String.fetchAll(db, sql: "SELECT text FROM conversation_turns ORDER BY id") }
        #expect(all == ["q", "a", "all?", "yes"])
    }
}
