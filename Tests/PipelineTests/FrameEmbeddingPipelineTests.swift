import Foundation
import ModelAPI
import OpenAIProvider
import OpenAITestServer
@testable import Pipeline
import Records
import Store
import Testing
import TestSupport

/// `embed.frames` end to end against the scripted server: a CLIP-like server (images as vLLM `messages`,
/// texts in `input`, one space) is detected, its frame vectors are stored and ranked by `search --semantic`
/// and `ask`; a text-only embedder is refused; a model whose dimension changes is not mixed into the store.
@Suite("embed.frames against an OpenAI-compatible server", .serialized)
struct FrameEmbeddingPipelineTests {
    /// Images arrive as `messages` (one per request); `input` strings are texts. "needle" embeds to the
    /// vector of the frame image with the smallest base64 among those seen after the two probes.
    final class ClipServer: @unchecked Sendable {
        let lock = NSLock()
        var images: [String] = []
        var dim = 8

        static func vector(_ text: String, dim: Int) -> [Double] {
            var h: UInt64 = 1469598103934665603
            return (0..<dim).map { i in
                for b in Array(text.utf8) + [UInt8(i)] { h = (h ^ UInt64(b)) &* 1099511628211 }
                return Double(h % 2000) / 1000 - 1
            }
        }

        func handle(_ request: RecordedRequest) -> TestResponse {
            guard request.path == "/v1/embeddings", let body = request.jsonObject else { return .error(status: 404, message: "no route") }
            let model = body["model"] as? String ?? "clip"
            let dim = lock.withLock { self.dim }
            if let messages = body["messages"] as? [[String: Any]] {
                let part = (messages.first?["content"] as? [[String: Any]])?.first
                let url = (part?["image_url"] as? [String: String])?["url"] ?? ""
                lock.withLock { if !images.contains(url) { images.append(url) } }
                return .embeddings([Self.vector("image:" + url, dim: dim)], model: model)
            }
            guard let inputs = body["input"] as? [String] else {
                return .error(status: 400, message: "Input should be a valid string")
            }
            return .embeddings(inputs.map { text in
                if text == "needle", let target = lock.withLock({ images.dropFirst(2).min() }) {
                    return Self.vector("image:" + target, dim: dim)
                }
                return Self.vector("text:" + text, dim: dim)
            }, model: model)
        }
    }

    /// A text-only embedder: any string is hashed as text, anything else refused.
    static let textOnly: OpenAITestServer.Handler = { request in
        guard let inputs = request.jsonObject?["input"] as? [String] else {
            return .error(status: 400, message: "'input' must be a string or an array of strings")
        }
        return .embeddings(inputs.map { ClipServer.vector($0, dim: 8) }, model: "clip")
    }

    static func pipeline(_ dir: TemporaryDirectory, baseURL: String, extra: String = "") throws -> String {
        let path = dir.path("p.yml")
        try """
            version: 1
            name: frames
            store: store.sqlite
            inputs: ["videos"]
            providers:
              local: { type: openai, base_url: "\(baseURL)", model: clip, timeout: 10s, retries: 0 }
            stages:
              shots:     { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
              frames:    { use: embed.frames, from: keyframes, provider: local }
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("ask ranks first the shot holding the frame whose vector matches the question")
    func askCreditsTheShotOfAMatchingFrame() async throws {
        let clip = ClipServer()
        let server = try await OpenAITestServer.started { clip.handle($0) }
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 3, shotSeconds: 2)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL,
                                         extra: "  timeline:  { use: timeline.fuse, from: [shots, keyframes] }")
        let run = try CLITests.vidpipe(["run", pipeline])
        #expect(run.status == 0, "\(run.stderr)")
        let graph = try PipelineGraph.load(path: pipeline)
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))
        let records = try store.records(FusedShot.self, videoID: video.id, stage: "timeline")
        let keyframes = try store.records(SampledFrame.self, videoID: video.id, stage: "keyframes")
        #expect(records.count == 3)
        // "needle" embeds to the keyframe with the smallest base64 (see ClipServer): its shot must rank first.
        let target = try #require(keyframes.min { $0.jpeg.base64 < $1.jpeg.base64 })
        let shot = try #require(records.first { $0.start <= target.time && target.time < $0.end })

        let provider = OpenAIProvider(settings: OpenAIProviderSettings(name: "local", baseURL: server.baseURL, model: "clip",
                                                                       retries: 0))
        var options = VideoAsk.Options()
        options.frames = VideoAsk.FrameVectors(sources: FrameSearch.sources(graph)) { _ in provider }
        let question = options
        // The ranking embeds the question (a blocking call): on a thread of its own, never the cooperative pool.
        let ranked: Result<[Int], any Error> = await withCheckedContinuation { done in
            Thread {
                done.resume(returning: Result {
                    try VideoAsk.rank("needle", records: records, video: video, store: store, provider: provider, options: question)
                })
                provider.shutdown()
            }.start()
        }
        #expect(try ranked.get().first == shot.index)
    }

    @Test("auto detects vLLM's messages shape; search --semantic ranks frames by the same model's text tower")
    func clipRoundTrip() async throws {
        let clip = ClipServer()
        let server = try await OpenAITestServer.started { clip.handle($0) }
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 3, shotSeconds: 2)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL)

        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))
        let vectors = try store.records(Embedding.self, videoID: video.id, stage: "frames")
        let keyframes = try store.records(SampledFrame.self, videoID: video.id, stage: "keyframes")
        #expect(vectors.count == keyframes.count && vectors.count >= 3)
        #expect(vectors.allSatisfy { $0.refKind == .frame && $0.vector.count == 8 && $0.model == "clip" })
        // The first image request was the probe in messages shape: auto tried it first and kept it.
        #expect(server.requests.contains { $0.jsonObject?["messages"] != nil })
        #expect(!server.requests.contains { ($0.jsonObject?["input"] as? [Any])?.contains { $0 is [String: Any] } == true })

        // The frame whose image "needle" matches comes first, found through the frame stage's provider and model.
        let target = try #require(keyframes.min { $0.jpeg.base64 < $1.jpeg.base64 })
        let semantic = try CLITests.vidpipe(["search", "needle", "--semantic", "--pipeline", pipeline, "--json"])
        #expect(semantic.status == 0, "\(semantic.stderr)")
        let hits = try JSONSerialization.jsonObject(with: Data(semantic.stdout.utf8)) as? [[String: Any]]
        #expect(hits?.first?["kind"] as? String == "frame")
        #expect(abs((hits?.first?["start_s"] as? Double ?? -1) - target.time) < 0.001)
        #expect((hits?.first?["score"] as? Double ?? 0) > 0.999)
        // The hit names the stored frame at that time: the keyframe whose picture matched.
        let frameID = try #require(hits?.first?["frame_id"] as? Int)
        let atTime = try runCommand("sqlite3", [dir.path("store.sqlite"),
                                                "SELECT t_s FROM frames WHERE id = \(frameID) AND stage = 'keyframes'"])
        #expect(abs((Double(atTime.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1) - target.time) < 0.001)
        let plain = try CLITests.vidpipe(["search", "needle", "--semantic", "--pipeline", pipeline])
        #expect(plain.stdout.contains("  frame  "), "\(plain.stdout)")

        // The viewer searches frame vectors the same way and shows the frame's picture with the hit.
        let viewer = try ServeCLITests.Server(["--db", dir.path("store.sqlite"), "--pipeline", pipeline])
        let api = try viewer.get("/api/search?q=needle&mode=semantic")
        #expect(api.status == 200, "\(api.body)")
        let apiHits = try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [[String: Any]]
        #expect(apiHits?.first?["frame_id"] as? Int == frameID)
        let page = try viewer.get("/search?q=needle&mode=semantic")
        #expect(page.body.contains("By meaning (clip (frames))"), "\(page.body)")
        #expect(page.body.contains("<img class=\"hit-frame\" src=\"/frames/\(frameID).jpg\""), "\(page.body)")
        #expect(try viewer.get("/frames/\(frameID).jpg").status == 200)
        let words = try viewer.get("/search?q=needle")  // full text (nothing) fused with the frame ranking
        #expect(words.body.contains("/frames/\(frameID).jpg"), "\(words.body)")
        #expect(viewer.stop() == 0)
        #expect(!viewer.stderr.current.contains("warning"), "\(viewer.stderr.current)")
        // Without --semantic, frame hits are merged with the full-text ones (none here).
        let hybrid = try CLITests.vidpipe(["search", "needle", "--pipeline", pipeline, "--json"])
        let merged = try JSONSerialization.jsonObject(with: Data(hybrid.stdout.utf8)) as? [[String: Any]]
        #expect(abs((merged?.first?["start_s"] as? Double ?? -1) - target.time) < 0.001)

        // Another model behind the same name, now 6-dimensional: a second frame stage is refused, nothing mixed.
        clip.lock.withLock { clip.dim = 6 }
        _ = try runCommand("sqlite3", [dir.path("store.sqlite"), "DELETE FROM model_calls"])  // no answers from the old model
        let again = try Self.pipeline(dir, baseURL: server.baseURL,
                                      extra: "  frames2:   { use: embed.frames, from: keyframes, provider: local, with: { format: messages } }")
        let second = try CLITests.vidpipe(["run", again, "--json"])
        #expect(second.status == 2)
        let status = try CLITests.vidpipe(["status", "--db", dir.path("store.sqlite"), "--json"])
        #expect(status.stdout.contains("the store holds 8-dimensional vectors of model 'clip', this result has 6 dimensions"), "\(status.stdout)")
        #expect(try store.records(Embedding.self, videoID: video.id, stage: "frames2").isEmpty)
        #expect(try store.records(Embedding.self, videoID: video.id, stage: "frames").count == vectors.count)
        // The query now embeds to 6 dimensions: the 8-dimensional frame vectors are skipped with a note.
        let skipped = try CLITests.vidpipe(["search", "needle", "--pipeline", again])
        #expect(skipped.stderr.contains("frame vectors of model 'clip' skipped: they have 8 dimensions, the query embeds to 6"),
                "\(skipped.stderr)")
    }

    @Test("a text-only embedder is refused: stage failed with a one-line reason, no vectors stored")
    func textOnlyRefused() async throws {
        let server = try await OpenAITestServer.started(handler: Self.textOnly)
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 2, shotSeconds: 1)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL)
        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 2, "\(run.stderr)")
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))
        #expect(try store.records(Embedding.self, videoID: video.id, stage: "frames").isEmpty)
        let status = try CLITests.vidpipe(["status", "--db", dir.path("store.sqlite"), "--json"])
        #expect(status.stdout.contains("frames: provider 'local' model 'clip' does not embed images in any format"), "\(status.stdout)")
        #expect(status.stdout.contains("a text-only embedder"))
        // Only the probes went out: no frame was embedded as text.
        #expect(server.requests.count <= 8)
    }
}

extension Array where Element == UInt8 {
    var base64: String { Data(self).base64EncodedString() }
}
