import Foundation
import ModelAPI
import Testing
import TestSupport
@testable import Stages

/// A stand-in JPEG whose last byte says which frame it is (the fake provider never decodes it).
private func still(_ t: Double, shot: Int? = nil) -> SampledFrame {
    SampledFrame(time: t, shotIndex: shot, phash: 0, width: 4, height: 4, jpeg: [0xFF, 0xD8, 0xFF, 0xE0, UInt8(Int(t * 10) % 255)])
}

private func jpegFile(_ path: String, mark: UInt8) throws {
    try Data([0xFF, 0xD8, 0xFF, 0xE0, mark]).write(to: URL(fileURLWithPath: path))
}

/// The parts of a message, written as text: "T:Frame at 1.0 s:", "J:10" (a JPEG by its last byte), …
private func shape(_ message: ChatMessage) -> [String] {
    message.parts.map { part in
        switch part {
        case .text(let t): return "T:" + t
        case .jpeg(let bytes): return "J:\(bytes.last!)"
        }
    }
}

@Suite("frames.caption per: shot — a shot's frames in one request, after examples of the same shape")
struct InterleavedShotCaptionTests {
    static let shots = [ShotSpan(index: 0, start: 0, end: 2), ShotSpan(index: 1, start: 2, end: 5)]

    @Test("each request: system, the example's frames with their times, its caption, then the shot's frames in order and the prompt")
    func requestShape() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("ex"), withIntermediateDirectories: true)
        try jpegFile(dir.path("ex/a.jpg"), mark: 201)
        try jpegFile(dir.path("ex/b.jpg"), mark: 202)
        let provider = FakeModelProvider { request, _ in
            // The answer names the frames it was given, so the stored caption shows which shot it belongs to.
            let marks = request.messages.last!.parts.compactMap { part -> String? in
                if case .jpeg(let b) = part { return String(b.last!) } else { return nil }
            }
            return "Caption: frames \(marks.joined(separator: " "))\n"
        }
        var p = FramesCaption.Parameters()
        p.per = .shot
        p.model = "qwen2.5vl:3b"
        p.prompt = "Shot {{start}}–{{end}} s of {{title}}: describe it."
        p.examples = [CaptionExample(images: ["ex/a.jpg", "ex/b.jpg"], times: [0, 2.5], caption: "A runner crosses the line.")]
        try p.validate()
        // frames.sample frames carry no shot: the shots stage in `from` places them (3.0 is in shot 1; 1.0 and 0.5 in shot 0).
        let frames = [still(3.0), still(1.0), still(0.5), still(4.5)]
        let ctx = StageContext(videoPath: "/v/clip.mp4", info: info(), upstream: ["frames": .frames(frames), "shots": .shots(Self.shots)],
                               provider: provider, stageName: "describe", pipelineDirectory: dir.url.path)
        guard case .captions(let captions) = try compute(FramesCaption.work(parameters: p, context: ctx)) else {
            Issue.record("not captions"); return
        }
        #expect(provider.chats.count == 2)
        let first = try #require(provider.chats.first { shape($0.messages.last!).contains("J:5") })
        #expect(first.model == "qwen2.5vl:3b")
        #expect(first.messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(first.messages[0] == .system(FramesCaption.shotSystemMessage))
        #expect(shape(first.messages[1]) == ["T:Frame at 0.0 s:", "J:201", "T:Frame at 2.5 s:", "J:202",
                                             "T:Shot 0.0–2.5 s of example: describe it."])
        #expect(first.messages[2] == .assistant("A runner crosses the line."))
        #expect(shape(first.messages[3]) == ["T:Frame at 0.5 s:", "J:5", "T:Frame at 1.0 s:", "J:10",
                                             "T:Shot 0.0–2.0 s of clip: describe it."])
        let second = try #require(provider.chats.first { shape($0.messages.last!).contains("J:30") })
        #expect(shape(second.messages[3]) == ["T:Frame at 3.0 s:", "J:30", "T:Frame at 4.5 s:", "J:45",
                                              "T:Shot 2.0–5.0 s of clip: describe it."])
        // One caption a shot: at its first frame (its frames row), spanning the shot.
        #expect(captions == [
            FrameCaption(time: 0.5, text: "frames 5 10", model: "qwen2.5vl:3b", end: 2),
            FrameCaption(time: 3.0, text: "frames 30 45", model: "qwen2.5vl:3b", end: 5),
        ])
        #expect(StageOutput.captions(captions).note == "2 shots captioned; model qwen2.5vl:3b")
    }

    @Test("frames tagged with their shot (frames.keyframes) need no shots stage; untagged frames without one are an error")
    func taggedFrames() throws {
        let provider = FakeModelProvider { _, n in "caption \(n)" }
        var p = FramesCaption.Parameters()
        p.per = .shot
        let tagged = [still(0.4, shot: 0), still(1.6, shot: 0), still(2.5, shot: 1)]
        let ctx = StageContext(videoPath: "/v/clip.mp4", info: info(), upstream: ["keyframes": .frames(tagged)], provider: provider,
                               stageName: "describe")
        guard case .captions(let captions) = try compute(FramesCaption.work(parameters: p, context: ctx)) else {
            Issue.record("not captions"); return
        }
        #expect(captions.map(\.time) == [0.4, 2.5])
        #expect(captions.map(\.end) == [1.6, 2.5])
        #expect(provider.chats.map { $0.messages.last!.parts.count }.sorted() == [3, 5])

        let untagged = StageContext(videoPath: "/v/clip.mp4", info: info(), upstream: ["frames": .frames([still(1.0)])],
                                    provider: provider, stageName: "describe")
        let error = #expect(throws: ParameterError.self) { try FramesCaption.work(parameters: p, context: untagged) }
        #expect(error?.description.contains("the frame at 1.0 s carries no shot") == true)
        #expect(error?.hint?.contains("frames.keyframes") == true)
    }

    @Test("max_images: a long shot is sampled evenly, first and last kept, and the note says so")
    func maxImages() throws {
        let provider = FakeModelProvider { _, _ in "a long shot" }
        var p = FramesCaption.Parameters()
        p.per = .shot
        p.maxImages = 4
        let frames = (0..<10).map { still(Double($0) * 0.5, shot: 0) } + [still(6, shot: 1)]
        let ctx = StageContext(videoPath: "/v/clip.mp4", info: info(), upstream: ["keyframes": .frames(frames)], provider: provider,
                               stageName: "describe")
        guard case .computeWithNote(let body) = try FramesCaption.work(parameters: p, context: ctx) else {
            Issue.record("not a compute stage with a note"); return
        }
        let (_, note) = try body()
        let long = try #require(provider.chats.first { $0.messages.last!.parts.count > 3 })
        #expect(shape(long.messages.last!).filter { $0.hasPrefix("T:Frame") }
                == ["T:Frame at 0.0 s:", "T:Frame at 1.5 s:", "T:Frame at 3.0 s:", "T:Frame at 4.5 s:"])
        #expect(note == "1 of 2 shots had more than max_images (4) frames (up to 10): sampled evenly")
        #expect(ShotFrames.evenly(Array(0..<10), limit: 3) == [0, 5, 9])
        #expect(ShotFrames.evenly(Array(0..<3), limit: 5) == [0, 1, 2])
        #expect(ShotFrames.evenly(Array(0..<7), limit: 1) == [3])
    }

    @Test("a shot that fails fails the stage, naming the shot")
    func failure() throws {
        let provider = FakeModelProvider { request, _ throws(ModelProviderError) in
            if request.messages.last!.parts.count > 3 {
                throw ModelProviderError(kind: .unsupported, provider: "fake", message: "provider 'fake' model 'm' does not accept images")
            }
            return "fine"
        }
        var p = FramesCaption.Parameters()
        p.per = .shot
        let frames = [still(0.5, shot: 0), still(3.0, shot: 1), still(4.0, shot: 1)]
        let ctx = StageContext(videoPath: "/v/clip.mp4", info: info(), upstream: ["keyframes": .frames(frames)], provider: provider,
                               stageName: "describe")
        #expect(throws: StageModelError.self) { try compute(FramesCaption.work(parameters: p, context: ctx)) }
        do {
            _ = try compute(FramesCaption.work(parameters: p, context: ctx))
        } catch {
            #expect("\(error)" == "shot 1 (3.0–4.0 s): provider 'fake' model 'm' does not accept images")
        }
    }
}

@Suite("frames.caption examples: checked when the pipeline is loaded, one clear line each")
struct CaptionExampleValidationTests {
    static func problem(_ p: FramesCaption.Parameters, directory: String? = nil) -> String? {
        do {
            try PipelineFiles.$directory.withValue(directory) { try p.validate() }
            return nil
        } catch {
            return (error as? ParameterError)?.description ?? "\(error)"
        }
    }

    @Test("shapes: caption, one of image/images, one image per frame, times one per image in order, at most max_images")
    func shapes() {
        var p = FramesCaption.Parameters()
        p.examples = [CaptionExample(image: "a.jpg", caption: " ")]
        #expect(Self.problem(p)?.hasPrefix("examples: examples[0] has no caption") == true)
        p.examples = [CaptionExample(image: "a.jpg", caption: "ok"), CaptionExample(images: ["a.jpg", "b.jpg"], caption: "two")]
        #expect(Self.problem(p)?.hasPrefix("examples: examples[1] has 2 images, but per: frame sends one frame a request") == true)
        p.per = .shot
        #expect(Self.problem(p) == nil)
        p.examples = [CaptionExample(images: ["a.jpg", "b.jpg"], times: [1], caption: "two")]
        #expect(Self.problem(p)?.hasPrefix("examples: examples[0] has 2 images but 1 times") == true)
        p.examples = [CaptionExample(images: ["a.jpg", "b.jpg"], times: [3, 1], caption: "two")]
        #expect(Self.problem(p)?.hasPrefix("examples: examples[0]: times must be seconds ≥ 0 in increasing order") == true)
        p.examples = [CaptionExample(images: ["a.jpg", "b.jpg", "c.jpg"], caption: "three")]
        p.maxImages = 2
        #expect(Self.problem(p)?.hasPrefix("examples: examples[0] has 3 images, more than max_images (2)") == true)
        p.examples = [CaptionExample(images: [], caption: "none")]
        #expect(Self.problem(p)?.hasPrefix("examples: examples[0] names no image") == true)
        p.maxImages = 65
        #expect(Self.problem(p)?.hasPrefix("max_images: 65 is out of range") == true)
    }

    @Test("files: a missing file or one that is not a JPEG is named with its resolved path")
    func files() throws {
        let dir = try TemporaryDirectory()
        try jpegFile(dir.path("good.jpg"), mark: 1)
        try Data("PNG?".utf8).write(to: URL(fileURLWithPath: dir.path("bad.jpg")))
        var p = FramesCaption.Parameters()
        p.per = .shot
        p.examples = [CaptionExample(images: ["good.jpg", "missing.jpg"], caption: "c")]
        #expect(Self.problem(p, directory: dir.url.path) == "examples: examples[0]: no such file \(dir.path("missing.jpg")) "
                + "(image paths are relative to the pipeline file's directory)")
        p.examples = [CaptionExample(images: ["good.jpg"], caption: "c"), CaptionExample(image: "bad.jpg", caption: "c")]
        #expect(Self.problem(p, directory: dir.url.path)?.hasPrefix("examples: examples[1]: \(dir.path("bad.jpg")) is not a JPEG file") == true)
        // Without a pipeline directory (a stage run directly) the check waits for the work.
        #expect(Self.problem(p) == nil)
        p.examples = [CaptionExample(images: ["good.jpg"], caption: "c")]
        #expect(Self.problem(p, directory: dir.url.path) == nil)
    }

    @Test("decoding: a misspelt key in an example is refused; {image, caption} encodes as before, per and max_images only when set")
    func decoding() throws {
        let bad = #"{"per": "shot", "examples": [{"imgs": ["a.jpg"], "caption": "c"}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FramesCaption.Parameters.self, from: Data(bad.utf8)) }
        let old = #"{"examples": [{"image": "a.jpg", "caption": "c"}]}"#
        let decoded = try JSONDecoder().decode(FramesCaption.Parameters.self, from: Data(old.utf8))
        #expect(try ParameterPinTests.json(decoded)
                == #"{"examples":[{"caption":"c","image":"a.jpg"}],"max_tokens":150,"model":"","prompt":"","reuse_distance":4,"temperature":0.2}"#)
        let shot = #"{"per": "shot", "max_images": 3, "examples": [{"images": ["a.jpg", "b.jpg"], "times": [0, 1.5], "caption": "c"}]}"#
        let decodedShot = try JSONDecoder().decode(FramesCaption.Parameters.self, from: Data(shot.utf8))
        #expect(try ParameterPinTests.json(decodedShot)
                == #"{"examples":[{"caption":"c","images":["a.jpg","b.jpg"],"times":[0,1.5]}],"max_images":3,"max_tokens":150,"model":"","per":"shot","prompt":"","reuse_distance":4,"temperature":0.2}"#)
        let wrong = #"{"per": "scene"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(FramesCaption.Parameters.self, from: Data(wrong.utf8)) }
    }
}
