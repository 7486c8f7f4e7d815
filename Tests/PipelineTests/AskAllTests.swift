import Foundation
import OpenAITestServer
import Testing
import TestSupport

/// `vidpipe ask --all`: moments across the archive, citations checked against them, no model call
/// without a moment, and the archive-wide conversation.
@Suite("ask --all: the whole archive", .serialized)
struct AskAllTests {
    @Test("the best moments go with their paths and times as data; citations of moments not sent are dropped")
    func citesCheckedMoments() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)

        let r = try AskFixture.vidpipe(["ask", "--all", "Where is the lighthouse keeper?", "--pipeline", a.pipeline, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let result = AskFixture.json(r)
        #expect(result["answer"] as? String == "The lighthouse is in the harbour video (after 0 earlier questions).")
        // The speech (4–7.5 s) and the caption (5 s) of the harbour video make one moment; the studio has no such words.
        let moments = try #require(result["moments"] as? [[String: Any]])
        #expect(moments.first?["path"] as? String == a.harbour)
        #expect(moments.first?["start_s"] as? Double == 4 && moments.first?["end_s"] as? Double == 7.5)
        #expect(!moments.contains { $0["path"] as? String == a.studio })
        // Moment 1 cited 0–100 s: kept, within the moment; moment 99 and a time outside moment 1: dropped.
        let citations = try #require(result["citations"] as? [[String: Any]])
        #expect(citations.count == 1)
        #expect(citations.first?["path"] as? String == a.harbour)
        #expect(citations.first?["video_id"] as? Int == 1)
        #expect(citations.first?["start_s"] as? Double == 4 && citations.first?["end_s"] as? Double == 7.5)
        #expect(result["dropped_citations"] as? Int == 2)
        #expect(result["model"] as? String == "test-llm")
        #expect(result["conversation_id"] as? Int == 1)

        // On the wire: the moments inside the delimited record, each with its video's path and times.
        let request = try #require(server.requests(path: "/v1/chat/completions").first)
        let user = AskFixture.text(AskFixture.messages(request)[1])
        #expect(user.hasPrefix("<video_record>\n[moment 1 | video \(a.harbour) | 4.0–7.5 s]\n"), "\(user)")
        #expect(user.contains("speech (4.0–7.5 s): the lighthouse keeper walks along the harbour wall"))
        #expect(user.contains("picture (5.0 s): a white lighthouse on a rock"))
        #expect(user.contains("</video_record>\n\nAnswer this question about the video archive using only the moments: Where is the lighthouse keeper?"))
        #expect(AskFixture.text(AskFixture.messages(request)[0]).contains("never instructions"))

        // As text: the answer, then each citation as time range and path; the dropped ones said on stderr.
        let text = try AskFixture.vidpipe(["ask", "--all", "Where is the lighthouse keeper?", "--pipeline", a.pipeline])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == "The lighthouse is in the harbour video (after 0 earlier questions).\n\n"
                + "  00:00:04.000 – 00:00:07.500  \(a.harbour)\n")
        #expect(text.stderr.contains("(2 citations left out: not among the moments sent)"), "\(text.stderr)")
        #expect(text.stderr.contains("1 moment from 1 video sent"), "\(text.stderr)")
    }

    @Test("no matching moment: it says so, exits 0, and the model is not called")
    func noMomentNoModelCall() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)

        let r = try AskFixture.vidpipe(["ask", "--all", "Is there a zebra crossing?", "--pipeline", a.pipeline])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("no moment in \(a.db) matches 'Is there a zebra crossing?'; the model was not asked"), "\(r.stderr)")
        let json = try AskFixture.vidpipe(["ask", "--all", "Is there a zebra crossing?", "--pipeline", a.pipeline, "--json"])
        #expect(json.status == 0)
        let result = AskFixture.json(json)
        #expect(result["answer"] is NSNull && result["model"] is NSNull && result["conversation_id"] is NSNull)
        #expect((result["moments"] as? [Any])?.isEmpty == true && (result["citations"] as? [Any])?.isEmpty == true)
        #expect(server.requests.isEmpty, "\(server.requests.map(\.path))")
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations") == 0)
    }

    @Test("with embed.text vectors, a question that shares no word with the archive finds its moment by meaning")
    func vectorSearchFindsMoments() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL, vectors: true)

        let r = try AskFixture.vidpipe(["ask", "--all", "Any coastal beacon?", "--pipeline", a.pipeline, "--json", "--moments", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let moments = try #require(AskFixture.json(r)["moments"] as? [[String: Any]])
        #expect(moments.count == 1)
        #expect(moments.first?["path"] as? String == a.harbour)
        #expect(moments.first?["start_s"] as? Double == 5)
        let embedded = server.requests(path: "/v1/embeddings").first?.jsonObject?["input"] as? [String]
        #expect(embedded == ["Any coastal beacon?"])
    }

    @Test("--all --continue continues the archive-wide conversation, apart from the videos' own")
    func archiveConversation() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)

        let video = try AskFixture.vidpipe(["ask", "harbour.mp4", "Where is the lighthouse?", "--pipeline", a.pipeline])
        #expect(video.status == 0, "\(video.stderr)")
        let first = try AskFixture.vidpipe(["ask", "--all", "Where is the lighthouse keeper?", "--pipeline", a.pipeline, "--json"])
        let id = try #require(AskFixture.json(first)["conversation_id"] as? Int)
        server.resetRecords()
        let second = try AskFixture.vidpipe(["ask", "--all", "Is the lighthouse white?", "--continue", "--pipeline", a.pipeline, "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(AskFixture.json(second)["conversation_id"] as? Int == id)
        #expect(AskFixture.json(second)["answer"] as? String == "The lighthouse is in the harbour video (after 1 earlier questions).")
        let messages = AskFixture.messages(try #require(server.requests(path: "/v1/chat/completions").first))
        #expect(messages.map { $0["role"] as? String ?? "" } == ["system", "user", "assistant", "user"])
        #expect(AskFixture.text(messages[1]) == "Where is the lighthouse keeper?")
        #expect(AskFixture.text(messages[2]).hasSuffix("(cited: \(a.harbour) 4.0–7.5 s)"))
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations WHERE video_id IS NULL") == 1)
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversation_turns WHERE conversation_id = \(id)") == 4)
        // The video's conversation is another one, untouched.
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversation_turns t JOIN conversations c ON c.id = t.conversation_id "
                                   + "WHERE c.video_id IS NOT NULL") == 2)
    }
}
