import Foundation
import OpenAITestServer
import Store
import Synchronization
import Testing
import TestSupport

/// A model swapped behind the same name (a re-pulled tag, another GGUF under the alias): the stages that
/// use it run again, nothing else does, no answer of the old model is served from the cache, and
/// `vidpipe status` names results still made by the old one.
@Suite("Model identity in the fingerprints", .serialized)
struct ModelIdentityPipelineTests {
    final class Served: Sendable {
        let size = Mutex(96_576_768)
    }

    static func handler(_ served: Served) -> OpenAITestServer.Handler {
        { request in
            let size = served.size.withLock { $0 }
            switch request.path {
            case "/v1/models":
                return .json(["object": "list", "data": [["id": "smollm2-135m", "object": "model", "owned_by": "llamacpp",
                                                          "created": Int(Date().timeIntervalSince1970),
                                                          "meta": ["n_params": 134_515_008, "size": size, "n_ctx": 4096]] as [String: Any]]])
            case "/v1/chat/completions" where request.bodyText.contains("\"citations\""):  // ask's answer schema
                return .chatCompletion(#"{"answer": "An answer by the model of size \#(size).", "citations": []}"#, model: "smollm2-135m")
            case "/v1/chat/completions":
                return .chatCompletion("A summary by the model of size \(size).", model: "smollm2-135m")
            default:
                return .error(status: 404, message: "no route for \(request.path)", type: "not_found")
            }
        }
    }

    /// The scripted server serving `served`'s model, started.
    static func started(_ served: Served) async throws -> OpenAITestServer {
        let server = OpenAITestServer(handler: handler(served))
        try await server.start()
        return server
    }

    /// A directory with videos/NAME.mp4 for each name: two 1 s shots each, each video its own pictures.
    static func videos(_ names: [String]) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        for (variant, name) in names.enumerated() {
            try Fixture.hardCuts(at: dir.path("videos/\(name).mp4"), shots: 2, shotSeconds: 1, size: "128x96", audio: false,
                                 variant: variant)
        }
        return dir
    }

    /// shots → timeline (→ `summary`, a stage line) over videos/, with provider `llm` at `server`; returns its path.
    static func pipeline(_ dir: TemporaryDirectory, server: OpenAITestServer, summary: String = "") throws -> String {
        let path = dir.path("p.yml")
        try """
            version: 1
            name: identity
            store: store.sqlite
            inputs: ["videos"]
            providers:
              llm: { type: openai, base_url: "\(server.baseURL)", model: smollm2-135m, retries: 0 }
            stages:
              shots:    { use: shots.detect }
              timeline: { use: timeline.fuse, from: [shots] }
              \(summary)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("a swapped model reruns its stages only; the cache keeps answers apart; status names old results")
    func swappedModel() async throws {
        let served = Served()
        let server = try await Self.started(served)
        defer { Task { await server.shutdown() } }
        let dir = try Self.videos(["alpha", "beta"])
        let pipeline = try Self.pipeline(dir, server: server,
                                         summary: "summary:  { use: reason.llm, from: timeline, provider: llm, with: { task: summary, json_file: false } }")
        let db = dir.path("store.sqlite")
        func sql(_ query: String) throws -> String {
            try runCommand("sqlite3", [db, query]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func chats() -> Int { server.requests(path: "/v1/chat/completions").count }

        let first = try CLITests.vidpipe(["run", pipeline])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(chats() == 2)
        let shotsFinished = try sql("SELECT group_concat(finished_at) FROM stage_results WHERE stage = 'shots'")
        #expect(try sql("SELECT count(DISTINCT identity) FROM model_identities") == "1")

        // Same model: nothing runs.
        server.resetRecords()
        let same = try CLITests.vidpipe(["run", pipeline])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(chats() == 0)

        // Another GGUF behind the alias, and beta away this night: alpha's summary runs again, asked anew (the
        // identical request is not answered from the cache); beta keeps the old model's summary.
        served.size.withLock { $0 = 101_000_000 }
        try FileManager.default.createDirectory(atPath: dir.path("away"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: dir.path("videos/beta.mp4"), toPath: dir.path("away/beta.mp4"))
        server.resetRecords()
        let swapped = try CLITests.vidpipe(["run", pipeline])
        #expect(swapped.status == 0, "\(swapped.stderr)")
        #expect(chats() == 1)
        #expect(try sql("SELECT group_concat(finished_at) FROM stage_results WHERE stage = 'shots'") == shotsFinished)
        #expect(try sql("SELECT text FROM reasoning_outputs r JOIN videos v ON v.id = r.video_id WHERE v.path LIKE '%alpha.mp4'")
                == "A summary by the model of size 101000000.")

        let status = try CLITests.vidpipe(["status", "--db", db])
        #expect(status.stdout.contains("results from a model no longer served (the next run redoes them):"), "\(status.stdout)")
        #expect(status.stdout.contains("summary: 1 video made with llm/smollm2-135m"), "\(status.stdout)")
        let json = try CLITests.vidpipe(["status", "--db", db, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let stale = try #require(report["stale_models"] as? [[String: Any]])
        #expect(stale.count == 1 && stale.first?["stage"] as? String == "summary" && stale.first?["videos"] as? Int == 1)
        #expect((stale.first?["served"] as? String)?.contains("\"size\":101000000") == true)

        // Beta is back: it is redone and nothing is stale.
        try FileManager.default.moveItem(atPath: dir.path("away/beta.mp4"), toPath: dir.path("videos/beta.mp4"))
        server.resetRecords()
        let healed = try CLITests.vidpipe(["run", pipeline])
        #expect(healed.status == 0, "\(healed.stderr)")
        #expect(chats() == 1)
        let after = try CLITests.vidpipe(["status", "--db", db, "--json"])
        let clean = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])
        #expect((clean["stale_models"] as? [Any])?.isEmpty == true)
    }

    @Test("ask answers from the cache only while the same model is served")
    func askKeepsAnswersOfASwappedModelApart() async throws {
        let served = Served()
        let server = try await Self.started(served)
        defer { Task { await server.shutdown() } }
        let dir = try Self.videos(["alpha"])
        let pipeline = try Self.pipeline(dir, server: server)
        #expect(try CLITests.vidpipe(["run", pipeline]).status == 0)
        func ask() throws -> (answer: String, chats: Int) {
            server.resetRecords()
            let r = try CLITests.vidpipe(["ask", dir.path("videos/alpha.mp4"), "What happens?", "--pipeline", pipeline, "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            return (object?["answer"] as? String ?? "", server.requests(path: "/v1/chat/completions").count)
        }
        let first = try ask()
        #expect(first.chats == 1 && first.answer.contains("size 96576768"))
        let cached = try ask()
        #expect(cached.chats == 0 && cached.answer == first.answer)
        // The GGUF behind the alias is swapped: the same question is asked anew, the old answer is not served.
        served.size.withLock { $0 = 101_000_000 }
        let swapped = try ask()
        #expect(swapped.chats == 1 && swapped.answer.contains("size 101000000"), "\(swapped)")
        #expect(try ask().chats == 0)
        // What ask saw is recorded (the first identity is the baseline for runs too).
        let seen = try runCommand("sqlite3", [dir.path("store.sqlite"),
                                              "SELECT count(*) FROM model_identities WHERE stage = '(outside a run)'"])
        #expect(seen.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
    }
}
