import Foundation
import ModelAPI

/// `frames.caption`: a vision-language model describes each upstream frame (keyframes or sampled
/// frames), sent as a JPEG data URI with a prompt; optional few-shot examples (image + expected
/// caption) go first as interleaved turns. Near-duplicate frames (perceptual hash) reuse a caption.
/// With `per: shot` the frames of one shot go in one request, each after its time (Flamingo-style
/// interleaving), after examples of the same shape, and one caption is stored per shot.
public struct FramesCaption: StageType {
    public static let name = "frames.caption"
    public static let summary = "Caption frames with a vision-language model (OpenAI-compatible server); near-identical frames reuse a caption"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.frames, .shots]
    public static let requiredInputKinds: [DataKind] = [.frames]
    public static let outputKind: DataKind = .captions
    public static let media: MediaNeed = .none

    public typealias Example = CaptionExample

    /// What one request describes.
    public enum Unit: String, Codable, Sendable, CaseIterable {
        /// One frame a request, one caption a frame.
        case frame
        /// A shot's frames in one request, one caption a shot.
        case shot
    }

    public struct Parameters: StageParameters {
        public var prompt = ""
        public var model = ""
        public var maxTokens = 150
        public var temperature = 0.2
        public var reuseDistance = 4
        public var examples: [Example] = []
        public var per: Unit = .frame
        public var maxImages = 8

        public init() {}

        public func validate() throws(ParameterError) {
            try ModelParameterCheck.common(maxTokens: maxTokens, temperature: temperature, model: model)
            try check(\.reuseDistance, -1...32)
            try check(\.maxImages, 1...64)
            for (n, example) in examples.enumerated() {
                try example.check(n, perShot: per == .shot, maxImages: maxImages)
            }
            // Loading a pipeline file: the example images must exist now, not when the first video reaches the stage.
            if let directory = PipelineFiles.directory {
                for (n, example) in examples.enumerated() {
                    for file in example.files {
                        _ = try ExampleImage.load(file, directory: directory, key: "examples", label: "examples[\(n)]")
                    }
                }
            }
            let unknown = PromptTemplate.unknownPlaceholders(prompt, known: FramesCaption.placeholders)
            if let first = unknown.first {
                throw ParameterError(key: "prompt", "unknown placeholder {{\(first)}}",
                                     hint: "placeholders: " + FramesCaption.placeholders.map { "{{\($0)}}" }.joined(separator: ", "))
            }
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("prompt", \.prompt, "string (template)", defaultText: "describe the frame in one or two sentences",
                           "the instruction sent with each frame (per: shot, after the shot's frames); placeholders {{time}} "
                              + "(seconds; per: shot, the shot's start), {{start}} and {{end}} (the shot's span) and {{title}} (file name)"),
            ParameterField("model", \.model, "string", "vision-language model on the server (e.g. qwen2.5vl:3b); empty: the provider's `model`"),
            ParameterField("max_tokens", \.maxTokens, "integer", "longest caption, in tokens"),
            ParameterField("temperature", \.temperature, "number 0–2", "sampling temperature; low keeps captions factual and repeatable"),
            ParameterField("reuse_distance", \.reuseDistance, "integer (bits)",
                           "a frame whose perceptual hash is within this Hamming distance of a captioned frame reuses its caption; -1 captions every frame"),
            ParameterField("examples", \.examples, "list of {image, caption} or {images, times, caption}",
                           "few-shot examples sent before each request as user/assistant turns, in the request's shape: per: frame "
                              + "one image, per: shot several with their times (default 0, 1, 2… s); paths relative to the pipeline "
                              + "file, checked when the pipeline is loaded"),
            .omittingDefault("per", \.per, "frame | shot",
                             "frame: one request and one caption per frame; shot: a shot's frames in one request, each after its "
                                + "time, one caption per shot (stored at the shot's first frame, spanning the shot); needs frames "
                                + "tagged with shots (frames.keyframes) or a shots stage in `from`"),
            .omittingDefault("max_images", \.maxImages, "integer",
                             "per: shot: most frames in one request; a shot with more is sampled evenly (first and last kept), as "
                                + "the stage's note says"),
        ]
    }

    static let placeholders = ["time", "title", "start", "end"]
    static let defaultPrompt = "Describe this frame of the video in one or two sentences: the setting, the people and objects, "
        + "and any action or visible text. Do not guess who people are. Answer with the description only."
    static let systemMessage = "You write short, factual captions for frames of a video, for an archive's search index."
    static let defaultShotPrompt = "Describe this shot of the video in one or two sentences: the setting, the people and objects, "
        + "what happens from the first frame to the last, and any visible text. Do not guess who people are. "
        + "Answer with the description only."
    static let shotSystemMessage = "You write short, factual captions for shots of a video, for an archive's search index. "
        + "A shot is given as several of its frames in time order, each after its time in seconds."

    public static func needsProvider(_ parameters: Parameters) -> Bool { true }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        let provider = try context.requireProvider(name)
        guard case .frames(let frames)? = context.input(.frames) else {
            throw ParameterError(key: "from", "frames.caption needs the frames of an upstream stage",
                                 hint: "add from: with a frames.keyframes or frames.sample stage")
        }
        let examples = try loadExamples(parameters.examples, directory: context.pipelineDirectory)
        if parameters.per == .shot {
            var shots: [ShotSpan]?
            if case .shots(let spans)? = context.input(.shots) { shots = spans }
            return try perShot(parameters: parameters, context: context, frames: frames, shots: shots, examples: examples)
        }
        let plan = FrameReusePlan(frames: frames, maxDistance: parameters.reuseDistance)
        let byTime = Dictionary(frames.map { ($0.time, $0) }) { a, _ in a }
        let title = URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent
        let template = parameters.prompt.isEmpty ? defaultPrompt : parameters.prompt
        let model = parameters.model.isEmpty ? nil : parameters.model
        let requests = plan.readTimes.map { time in
            var messages: [ChatMessage] = [.system(systemMessage)]
            for example in examples {
                messages.append(ChatMessage(role: .user, parts: [.jpeg(example.images[0].jpeg), .text(PromptTemplate.render(
                    template, ["time": "0.0", "start": "0.0", "end": "0.0", "title": "example"]))]))
                messages.append(.assistant(example.caption))
            }
            let seconds = String(format: "%.1f", time)
            let prompt = PromptTemplate.render(template, ["time": seconds, "start": seconds, "end": seconds, "title": title])
            messages.append(ChatMessage(role: .user, parts: [.jpeg(byTime[time]?.jpeg ?? []), .text(prompt)]))
            return ChatRequest(model: model, messages: messages, maxTokens: parameters.maxTokens,
                               temperature: parameters.temperature)
        }
        return .compute {
            let results = provider.chatAll(requests)
            var captions: [Double: ChatResult] = [:]
            for (time, result) in zip(plan.readTimes, results) {
                switch result {
                case .success(let answer): captions[time] = answer
                case .failure(let error):
                    throw StageModelError("frame at \(VideoRecordText.seconds(time)) s: \(error.message)")
                }
            }
            return .captions(plan.entries.compactMap { entry in
                guard let answer = captions[entry.source] else { return nil }
                return FrameCaption(time: entry.time, text: clean(answer.text), model: answer.model,
                                    reusedFrom: entry.isRead ? nil : entry.source)
            })
        }
    }

    struct LoadedExample: Sendable {
        var images: [(time: Double, jpeg: [UInt8])]
        var caption: String
    }

    static func loadExamples(_ examples: [Example], directory: String) throws -> [LoadedExample] {
        try examples.enumerated().map { n, example in
            let images = try example.files.enumerated().map { i, file in
                (time: example.time(i), jpeg: try ExampleImage.load(file, directory: directory, key: "examples", label: "examples[\(n)]"))
            }
            return LoadedExample(images: images, caption: example.caption)
        }
    }

    /// One line, no surrounding quotes or "Caption:" label.
    static func clean(_ text: String) -> String {
        var s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        for label in ["Caption:", "caption:", "Description:"] where s.hasPrefix(label) {
            s = String(s.dropFirst(label.count)).trimmingCharacters(in: .whitespaces)
        }
        if s.count > 1, s.first == "\"", s.last == "\"" { s = String(s.dropFirst().dropLast()) }
        return s.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
