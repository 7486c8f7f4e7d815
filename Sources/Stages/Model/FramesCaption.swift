import Foundation
import ModelAPI

/// `frames.caption`: a vision-language model describes each upstream frame (keyframes or sampled
/// frames), sent as a JPEG data URI with a prompt; optional few-shot examples (image + expected
/// caption) go first as interleaved turns. Near-duplicate frames (perceptual hash) reuse a caption.
public struct FramesCaption: StageType {
    public static let name = "frames.caption"
    public static let summary = "Caption frames with a vision-language model (OpenAI-compatible server); near-identical frames reuse a caption"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.frames]
    public static let outputKind: DataKind = .captions
    public static let media: MediaNeed = .none

    public struct Example: Codable, Sendable, Equatable {
        /// A JPEG file, relative to the pipeline file.
        public var image: String
        public var caption: String
    }

    public struct Parameters: StageParameters {
        public var prompt = ""
        public var model = ""
        public var maxTokens = 150
        public var temperature = 0.2
        public var reuseDistance = 4
        public var examples: [Example] = []

        public init() {}

        public func validate() throws(ParameterError) {
            try ModelParameterCheck.common(maxTokens: maxTokens, temperature: temperature, model: model)
            try check(\.reuseDistance, -1...32)
            for example in examples where example.image.isEmpty || example.caption.isEmpty {
                throw ParameterError(key: "examples", "every example needs an image and a caption",
                                     hint: "e.g. examples: [{ image: examples/kitchen.jpg, caption: \"A man chops onions in a small kitchen.\" }]")
            }
            let unknown = PromptTemplate.unknownPlaceholders(prompt, known: FramesCaption.placeholders)
            if let first = unknown.first {
                throw ParameterError(key: "prompt", "unknown placeholder {{\(first)}}",
                                     hint: "placeholders: " + FramesCaption.placeholders.map { "{{\($0)}}" }.joined(separator: ", "))
            }
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("prompt", \.prompt, "string (template)", defaultText: "describe the frame in one or two sentences",
                           "the instruction sent with each frame; placeholders {{time}} (seconds) and {{title}} (file name)"),
            ParameterField("model", \.model, "string", "vision-language model on the server (e.g. qwen2.5vl:3b); empty: the provider's `model`"),
            ParameterField("max_tokens", \.maxTokens, "integer", "longest caption, in tokens"),
            ParameterField("temperature", \.temperature, "number 0–2", "sampling temperature; low keeps captions factual and repeatable"),
            ParameterField("reuse_distance", \.reuseDistance, "integer (bits)",
                           "a frame whose perceptual hash is within this Hamming distance of a captioned frame reuses its caption; -1 captions every frame"),
            ParameterField("examples", \.examples, "list of {image, caption}",
                           "few-shot examples sent before each frame as user/assistant turns (image paths relative to the pipeline file)"),
        ]
    }

    static let placeholders = ["time", "title"]
    static let defaultPrompt = "Describe this frame of the video in one or two sentences: the setting, the people and objects, "
        + "and any action or visible text. Do not guess who people are. Answer with the description only."
    static let systemMessage = "You write short, factual captions for frames of a video, for an archive's search index."

    public static func needsProvider(_ parameters: Parameters) -> Bool { true }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        let provider = try context.requireProvider(name)
        guard case .frames(let frames)? = context.input(.frames) else {
            throw ParameterError(key: "from", "frames.caption needs the frames of an upstream stage",
                                 hint: "add from: with a frames.keyframes or frames.sample stage")
        }
        let examples = try loadExamples(parameters.examples, directory: context.pipelineDirectory)
        let plan = FrameReusePlan(frames: frames, maxDistance: parameters.reuseDistance)
        let byTime = Dictionary(frames.map { ($0.time, $0) }) { a, _ in a }
        let title = URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent
        let template = parameters.prompt.isEmpty ? defaultPrompt : parameters.prompt
        let model = parameters.model.isEmpty ? nil : parameters.model
        let requests = plan.readTimes.map { time in
            var messages: [ChatMessage] = [.system(systemMessage)]
            for example in examples {
                messages.append(ChatMessage(role: .user, parts: [.jpeg(example.jpeg), .text(PromptTemplate.render(
                    template, ["time": "0.0", "title": "example"]))]))
                messages.append(.assistant(example.caption))
            }
            let prompt = PromptTemplate.render(template, ["time": String(format: "%.1f", time), "title": title])
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
        var jpeg: [UInt8]
        var caption: String
    }

    static func loadExamples(_ examples: [Example], directory: String) throws -> [LoadedExample] {
        try examples.map { example in
            let path = example.image.hasPrefix("/") ? example.image
                : URL(fileURLWithPath: directory).appendingPathComponent(example.image).standardizedFileURL.path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ParameterError(key: "examples", "cannot read the example image \(path)",
                                     hint: "paths are relative to the pipeline file's directory")
            }
            guard data.starts(with: [0xFF, 0xD8, 0xFF]) else {
                throw ParameterError(key: "examples", "\(path) is not a JPEG file", hint: "convert it, e.g. ffmpeg -i IN -q:v 3 OUT.jpg")
            }
            return LoadedExample(jpeg: [UInt8](data), caption: example.caption)
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
