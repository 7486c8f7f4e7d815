import Foundation
import ModelAPI

/// `reason.llm`: a language model reasons over the fused per-shot timeline. Tasks: a summary,
/// chapters (also written as a WebVTT chapters file), tags, answers to configured questions with
/// the times they rest on, or a custom prompt (free text, or JSON checked against a given schema).
/// A record longer than `context_tokens` is summarised hierarchically first (shots → parts → video).
public struct ReasonLLM: StageType {
    public static let name = "reason.llm"
    public static let summary = "Reason over the fused timeline with a language model: summary, chapters (+ .chapters.vtt), tags, Q&A with cited times, or a custom prompt"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.timeline]
    public static let outputKind: DataKind = .reasoning
    public static let media: MediaNeed = .none

    public typealias Task = ReasoningTask

    public struct Parameters: StageParameters {
        public var task: Task = .summary
        /// Empty: the task's default prompt.
        public var prompt = ""
        public var questions: [String] = []
        /// custom: a JSON schema the answer must match; none: free text.
        public var schema: JSONValue?
        public var model = ""
        public var maxTokens = 1024
        public var temperature = 0.2
        public var contextTokens = 6000
        /// 0: not sent.
        public var frequencyPenalty = 0.0
        public var outDir = ""
        public var chaptersFile = true
        public var jsonFile = true
        /// Few-shot record excerpt → answer pairs, sent as turns before the real request.
        public var examples: [RecordExample] = []

        public init() {}

        public func validate() throws(ParameterError) {
            try ModelParameterCheck.common(maxTokens: maxTokens, temperature: temperature, model: model)
            try check(\.contextTokens, 500...1_000_000)
            try check(\.frequencyPenalty, -2...2)
            switch task {
            case .qa:
                guard !questions.isEmpty, questions.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                    throw ParameterError(key: "questions", "task qa needs at least one question, none empty",
                                         hint: "e.g. questions: [\"Who speaks first?\", \"Is there a map on screen?\"]")
                }
            case .custom:
                guard !prompt.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw ParameterError(key: "prompt", "task custom needs a prompt", hint: "write what to ask about the video")
                }
            case .shot:
                throw ParameterError(key: "task", "task shot belongs to the reason.shot stage (frames and text per shot)",
                                     hint: "use: reason.shot for per-shot descriptions, or task summary | chapters | tags | qa | custom")
            default:
                if !questions.isEmpty {
                    throw ParameterError(key: "questions", "only task qa takes questions", hint: "set task: qa or remove questions")
                }
            }
            if schema != nil && task != .custom {
                throw ParameterError(key: "schema", "only task custom takes a schema (the other tasks have their own)",
                                     hint: "set task: custom or remove schema")
            }
            if let schema, schema.objectValue == nil {
                throw ParameterError(key: "schema", "must be a JSON schema mapping", hint: "e.g. { type: object, properties: {...}, required: [...] }")
            }
            let unknown = PromptTemplate.unknownPlaceholders(prompt, known: ReasonLLM.placeholders)
            if let first = unknown.first {
                throw ParameterError(key: "prompt", "unknown placeholder {{\(first)}}",
                                     hint: "placeholders: " + ReasonLLM.placeholders.map { "{{\($0)}}" }.joined(separator: ", "))
            }
            if examples.count > 16 {
                throw ParameterError(key: "examples", "\(examples.count) examples; at most 16 are sent", hint: "keep the few that show the answer best")
            }
            for (n, example) in examples.enumerated() {
                try example.check(n, json: task == .chapters || task == .tags || task == .qa || schema != nil)
            }
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("task", \.task, "summary | chapters | tags | qa | custom",
                           "what to produce; chapters also writes VIDEO.chapters.vtt; qa answers `questions` with the times they rest on"),
            ParameterField("prompt", \.prompt, "string (template)", defaultText: "the task's",
                           "the instruction after the video record; placeholders {{title}} (file name), {{duration}} (seconds), "
                              + "{{question}} (qa). The record is always given as delimited data, never as instructions"),
            ParameterField("questions", \.questions, "list of strings", "qa: the questions, one answer each"),
            ParameterField("schema", \.schema, "JSON schema (mapping)",
                           "custom: the answer must be JSON matching it (checked; one repair request, then the stage fails with the raw answer)"),
            ParameterField("model", \.model, "string", "model name on the server (e.g. llama3.2); empty: the provider's `model`"),
            ParameterField("max_tokens", \.maxTokens, "integer", "longest answer, in tokens"),
            ParameterField("temperature", \.temperature, "number 0–2", "sampling temperature; low keeps answers factual and repeatable"),
            .frequencyPenalty(\.frequencyPenalty),
            ParameterField("context_tokens", \.contextTokens, "integer",
                           "budget for the record in one prompt (about 4 characters a token); a longer record is summarised in parts first"),
            ParameterField("out_dir", \.outDir, "path",
                           "where VIDEO.chapters.vtt, VIDEO.summary.json and VIDEO.tags.json go; empty: next to the video, relative: from the video's directory"),
            ParameterField("chapters_file", \.chaptersFile, "true | false", "chapters: write the WebVTT chapters file"),
            .omittingDefault("json_file", \.jsonFile, "true | false",
                             "summary and tags: also write VIDEO.summary.json / VIDEO.tags.json (never over a file vidpipe did not write)"),
            .omittingDefault("examples", \.examples, "list of {record, answer}",
                             "few-shot examples (at most 16): a record excerpt and the answer wanted, sent as user/assistant turns "
                                + "before each request (JSON answers for chapters, tags, qa and custom with a schema)"),
        ]
    }

    static let placeholders = ["title", "duration", "question"]

    public static func needsProvider(_ parameters: Parameters) -> Bool { true }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    static func defaultPrompt(_ task: Task) -> String {
        switch task {
        case .summary:
            return "Summarise the video \"{{title}}\" ({{duration}} s) in 3 to 6 sentences: what it shows, what is said, "
                + "and how it develops. Mention the times (in seconds) of key moments."
        case .chapters:
            return "Split the video \"{{title}}\" ({{duration}} s) into chapters where its subject changes (at most one "
                + "chapter per 30 seconds of video, at least one). For each give start_s (the start, in seconds, of the shot "
                + "where it begins; the first chapter starts at 0), a title of at most 8 words and a one-sentence summary."
        case .tags:
            return "Give 5 to 15 short lowercase tags (one to three words each) for the video \"{{title}}\": topics, places, "
                + "objects, activities, kinds of people. No duplicates, no sentences."
        case .qa:
            return "Answer this question about the video using only the record: {{question}}\n"
                + "Cite the time ranges (start_s and end_s, in seconds, from the record) your answer rests on. "
                + "If the record does not answer it, say so and cite nothing."
        case .custom, .shot:
            return ""
        }
    }

    // Every built-in schema is bounded (item counts, string lengths) to what fits in `max_tokens`, so
    // grammar-constrained decoding (llama.cpp, vLLM, Ollama) closes the JSON on its own instead of adding
    // items until max_tokens cuts it. Free text is budgeted at 2 characters a token (SmolLM2 spent about 3
    // on repetitive English, indentation included), items at a few tokens of quotes, commas and indentation.

    /// Chapters: at most one per 30 s of video (at least 4, at most 60) and what `max_tokens` holds at
    /// about 125 tokens a chapter; titles up to 60 characters, summaries up to 160.
    static func chaptersSchema(duration: Double, maxTokens: Int = 1024) -> JSONValue {
        let byDuration = max(4, min(60, Int(duration / 30) + 2))
        let most = max(1, min(byDuration, (maxTokens - 16) / 125))
        return .object([
            "type": .string("object"), "required": .array([.string("chapters")]),
            "properties": .object(["chapters": .object([
                "type": .string("array"), "minItems": .number(1), "maxItems": .number(Double(most)),
                "items": .object([
                    "type": .string("object"), "required": .array([.string("start_s"), .string("title")]),
                    "properties": .object([
                        "start_s": .object(["type": .string("number")]),
                        "title": .object(["type": .string("string"), "minLength": .number(1), "maxLength": .number(60)]),
                        "summary": .object(["type": .string("string"), "maxLength": .number(160)]),
                    ]),
                ]),
            ])]),
        ])
    }

    /// Tags: up to 15, each up to 30 characters, and no more than `max_tokens` holds at about 12 tokens a tag.
    static func tagsSchema(maxTokens: Int = 1024) -> JSONValue {
        let most = max(1, min(15, (maxTokens - 8) / 12))
        return .object([
            "type": .string("object"), "required": .array([.string("tags")]),
            "properties": .object(["tags": .object([
                "type": .string("array"), "minItems": .number(1), "maxItems": .number(Double(most)),
                "items": .object(["type": .string("string"), "minLength": .number(1), "maxLength": .number(30)]),
            ])]),
        ])
    }

    /// An answer with up to 8 cited ranges (4 under 400 tokens) and the text `max_tokens` leaves room for.
    static func answerSchema(maxTokens: Int) -> JSONValue {
        let citations = maxTokens < 400 ? 4 : 8
        let characters = max(40, min(2000, (maxTokens - 24 - 16 * citations) * 2))
        return .object([
            "type": .string("object"), "required": .array([.string("answer"), .string("citations")]),
            "properties": .object([
                "answer": .object(["type": .string("string"), "maxLength": .number(Double(characters))]),
                "citations": .object([
                    "type": .string("array"), "maxItems": .number(Double(citations)),
                    "items": .object([
                        "type": .string("object"), "required": .array([.string("start_s"), .string("end_s")]),
                        "properties": .object(["start_s": .object(["type": .string("number")]),
                                               "end_s": .object(["type": .string("number")])]),
                    ]),
                ]),
            ]),
        ])
    }

    static var answerSchema: JSONValue { answerSchema(maxTokens: 1024) }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        let provider = try context.requireProvider(name)
        guard case .timeline(let shots)? = context.input(.timeline) else {
            throw ParameterError(key: "from", "reason.llm needs the records of an upstream timeline.fuse stage",
                                 hint: "add `from: timeline` with a timeline.fuse stage")
        }
        let title = URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent
        let duration = max(context.info.duration, shots.map(\.end).max() ?? 0)
        let stageName = context.stageName.isEmpty ? name : context.stageName
        return .computeWithNote {
            let reasoner = Reasoner(provider: provider, parameters: parameters, title: title, duration: duration, stage: stageName)
            let (items, note) = try reasoner.runFitting(shots)
            return (.reasoning(items), note)
        }
    }

    /// The chapters task's WebVTT chapters file, the summary and tags tasks' JSON files
    /// (`ReasoningFiles`), written once the items are stored.
    public static func sidecars(parameters: Parameters, context: StageContext, output: StageOutput) -> [Sidecar] {
        if parameters.task == .summary || parameters.task == .tags {
            guard parameters.jsonFile else { return [] }
            return ReasoningFiles.sidecars(task: parameters.task, outDir: parameters.outDir, context: context, output: output)
        }
        guard parameters.task == .chapters && parameters.chaptersFile, case .reasoning(let items) = output else { return [] }
        let directory = CaptionsExport.outputDirectory(outDir: parameters.outDir, videoPath: context.videoPath)
        let videoPath = context.videoPath
        return [Sidecar("chapters file in \(directory.path)") {
            try ChaptersFile.write(items, directory: directory, videoPath: videoPath)
        }]
    }
}

/// One video's reasoning: condenses the record to the budget, then asks the task.
struct Reasoner: Sendable {
    let provider: any ModelProvider
    var parameters: ReasonLLM.Parameters
    let title: String
    let duration: Double
    let stage: String
    /// Keyframes sent with the record (vidpipe ask), labelled with their times.
    var images: [(time: Double, jpeg: [UInt8])] = []
    /// What sets `max_tokens`, named when an answer is cut at it (`vidpipe ask`: its `--max-tokens`).
    var limitSetting = ModelAnswer.stageLimitSetting
    /// Model requests one reasoner keeps in flight (summarised parts, questions); the provider's
    /// `max_concurrency` bounds them further across stages and videos.
    static let requestsInFlight = 4

    var model: String? { parameters.model.isEmpty ? nil : parameters.model }

    /// `run`, made to fit the model: when the server says the prompt is longer than the model's context
    /// (and how long both are), the record budget is scaled down to fit with room for the answer and the
    /// record is summarised in parts; at most twice. The note says so (stored with the stage result).
    func runFitting(_ shots: [FusedShot]) throws -> (items: [ReasoningItem], note: String?) {
        var reasoner = self
        var note: String?
        for attempt in 0...2 {
            do {
                return (try reasoner.run(shots), note)
            } catch let error as ModelProviderError where error.kind == .contextOverflow && attempt < 2 {
                guard let context = error.contextTokens, let prompt = error.promptTokens, prompt > context else { throw error }
                let room = context - min(reasoner.parameters.maxTokens, context / 2) - 256
                guard room >= 128 else {
                    throw StageModelError("\(stage): model '\(parameters.model.isEmpty ? provider.defaultModel ?? "" : parameters.model)' "
                                          + "has a context of \(context) tokens, too small for max_tokens \(reasoner.parameters.maxTokens) "
                                          + "and a record; lower max_tokens or give the model a larger context")
                }
                let sent = min(reasoner.parameters.contextTokens, shots.map { VideoRecordText.estimatedTokens(VideoRecordText.render($0)) }.reduce(0, +))
                let budget = max(64, Int(Double(sent) * Double(room) / Double(prompt) * 0.9))
                note = "the record (about \(sent) tokens by estimate; \(prompt) counted by the server) did not fit the model's "
                    + "context of \(context) tokens: summarised in parts to about \(budget) tokens"
                reasoner.parameters.contextTokens = budget
            }
        }
        throw StageModelError("\(stage): the record does not fit the model's context")  // not reached: the loop returns or throws
    }

    func run(_ shots: [FusedShot]) throws -> [ReasoningItem] {
        let record = try condensed(shots.map { (start: $0.start, end: $0.end, text: VideoRecordText.render($0)) })
        let values = ["title": title, "duration": String(format: "%.1f", duration)]
        let task = parameters.task
        let template = parameters.prompt.isEmpty ? ReasonLLM.defaultPrompt(task) : parameters.prompt
        switch task {
        case .summary:
            let (text, result) = try ModelAnswer.text(provider, request(record, PromptTemplate.render(template, values)), stage: stage)
            return [ReasoningItem(task: task, index: 0, start: 0, end: duration, text: text, json: nil, model: result.model)]
        case .custom:
            let prompt = PromptTemplate.render(template, values)
            if let schema = parameters.schema {
                let (value, result) = try ModelAnswer.structured(provider, request(record, prompt), schema: schema,
                                                                 schemaName: "custom", stage: stage,
                                                                 limitSetting: limitSetting)
                return [ReasoningItem(task: task, index: 0, start: nil, end: nil, text: readableText(value),
                                      json: value.jsonText, model: result.model)]
            }
            let (text, result) = try ModelAnswer.text(provider, request(record, prompt), stage: stage)
            return [ReasoningItem(task: task, index: 0, start: nil, end: nil, text: text, json: nil, model: result.model)]
        case .tags:
            let (value, result) = try ModelAnswer.structured(provider, request(record, PromptTemplate.render(template, values)),
                                                             schema: ReasonLLM.tagsSchema(maxTokens: parameters.maxTokens),
                                                             schemaName: "tags", stage: stage, limitSetting: limitSetting)
            var seen = Set<String>()
            let tags = (value["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
                .filter { !$0.isEmpty && seen.insert($0).inserted }
            return [ReasoningItem(task: task, index: 0, start: 0, end: duration, text: tags.joined(separator: ", "),
                                  json: JSONValue.array(tags.map(JSONValue.string)).jsonText, model: result.model)]
        case .chapters:
            let (value, result) = try ModelAnswer.structured(provider, request(record, PromptTemplate.render(template, values)),
                                                             schema: ReasonLLM.chaptersSchema(duration: duration, maxTokens: parameters.maxTokens),
                                                             schemaName: "chapters", stage: stage, limitSetting: limitSetting)
            return chapters(from: value, model: result.model)
        case .qa:
            return try answers(parameters.questions, record: record, values: values).enumerated().map { i, answer in
                let json = JSONValue.object([
                    "question": .string(answer.question), "answer": .string(answer.answer),
                    "citations": .array(answer.citations.map { .object(["start_s": .number($0.start_s), "end_s": .number($0.end_s)]) }),
                ])
                return ReasoningItem(task: .qa, index: i, start: answer.citations.first?.start_s, end: answer.citations.first?.end_s,
                                     text: answer.answer, json: json.jsonText, model: answer.model)
            }
        case .shot:
            throw StageModelError("\(stage): task shot is reason.shot's, not reason.llm's")
        }
    }

    func request(_ record: String, _ prompt: String) -> ChatRequest {
        // Text only: one part (a plain string on the wire). With keyframes: the record, each image after its time, the prompt.
        var parts: [ChatPart] = [.text(VideoRecordText.wrap(record) + (images.isEmpty ? "\n\n" + prompt : ""))]
        if !images.isEmpty {
            for image in images {
                parts += [.text("Keyframe at \(VideoRecordText.seconds(image.time)) s:"), .jpeg(image.jpeg)]
            }
            parts.append(.text(prompt))
        }
        // Few-shot examples first: the same instruction after each excerpt, the wanted answer as the model's turn.
        let examples = parameters.examples.flatMap { $0.turns(prompt: prompt) }
        return ChatRequest(model: model, messages: [.system(VideoRecordText.systemMessage)] + examples + [ChatMessage(role: .user, parts: parts)],
                           maxTokens: parameters.maxTokens, temperature: parameters.temperature,
                           frequencyPenalty: parameters.frequencyPenalty == 0 ? nil : parameters.frequencyPenalty)
    }

    /// The record as one text within the budget: as is when it fits, else parts summarised (in
    /// parallel, bounded by the provider), and again, until it fits.
    func condensed(_ pieces: [(start: Double, end: Double, text: String)]) throws -> String {
        var pieces = pieces
        var level = 0
        while true {
            let whole = pieces.map(\.text).joined(separator: "\n\n")
            if VideoRecordText.estimatedTokens(whole) <= parameters.contextTokens || pieces.count <= 1 {
                return whole
            }
            level += 1
            guard level <= 6 else { return whole }
            let groups = group(pieces, budget: parameters.contextTokens)
            let outcomes = parallelMap(groups, width: Reasoner.requestsInFlight) { part in
                let start = part.first!.start, end = part.last!.end
                let prompt = "Summarise this part of the video (\(VideoRecordText.seconds(start))–\(VideoRecordText.seconds(end)) s) "
                    + "in at most 120 words: what is seen, shown as text and said. Keep the times (in seconds) of key moments."
                var r = request(part.map(\.text).joined(separator: "\n\n"), prompt)
                r.maxTokens = min(parameters.maxTokens, 400)
                let answer = try provider.chat(r)
                return (start, end, "[part \(VideoRecordText.seconds(start))–\(VideoRecordText.seconds(end)) s, summarised]\n"
                    + VideoRecordText.defuse(answer.text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            let next = try outcomes.map { try $0.get() }.map { (start: $0.0, end: $0.1, text: $0.2) }
            if next.count >= pieces.count { return next.map(\.text).joined(separator: "\n\n") }
            pieces = next
        }
    }

    /// Consecutive pieces packed into groups of at most `budget` tokens (a piece over budget alone is cut).
    func group(_ pieces: [(start: Double, end: Double, text: String)], budget: Int)
        -> [[(start: Double, end: Double, text: String)]] {
        var groups: [[(start: Double, end: Double, text: String)]] = []
        var current: [(start: Double, end: Double, text: String)] = []
        var tokens = 0
        for var piece in pieces {
            var t = VideoRecordText.estimatedTokens(piece.text)
            if t > budget {
                piece.text = String(piece.text.prefix(budget * 4)) + " …"
                t = budget
            }
            if tokens + t > budget && !current.isEmpty {
                groups.append(current)
                current = []
                tokens = 0
            }
            current.append(piece)
            tokens += t
        }
        if !current.isEmpty { groups.append(current) }
        return groups
    }

    func chapters(from value: JSONValue, model: String) -> [ReasoningItem] {
        var starts: [(Double, String, String)] = []
        for c in value["chapters"]?.arrayValue ?? [] {
            guard let s = c["start_s"]?.numberValue, let title = c["title"]?.stringValue else { continue }
            let clamped = max(0, min(s, duration))
            if starts.contains(where: { abs($0.0 - clamped) < 0.001 }) { continue }
            starts.append((clamped, title.trimmingCharacters(in: .whitespacesAndNewlines),
                           (c["summary"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        starts.sort { $0.0 < $1.0 }
        if let first = starts.first, first.0 > 0 { starts[0].0 = 0 }  // chapters cover the video from its start
        return starts.enumerated().map { i, c in
            let end = i + 1 < starts.count ? starts[i + 1].0 : duration
            let json = JSONValue.object(["start_s": .number(c.0), "end_s": .number(end), "title": .string(c.1),
                                         "summary": .string(c.2)])
            return ReasoningItem(task: .chapters, index: i, start: c.0, end: end,
                                 text: c.2.isEmpty ? c.1 : "\(c.1): \(c.2)", json: json.jsonText, model: model)
        }
    }

    /// A custom JSON answer as searchable text: its strings, in order.
    func readableText(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .array(let a): return a.map(readableText).filter { !$0.isEmpty }.joined(separator: "; ")
        case .object(let o): return o.keys.sorted().map { readableText(o[$0]!) }.filter { !$0.isEmpty }.joined(separator: "; ")
        case .number(let n): return String(n)
        case .bool(let b): return String(b)
        case .null: return ""
        }
    }
}

/// The WebVTT chapters sidecar: VIDEO.chapters.vtt, one cue per chapter (its title), written like
/// caption files (atomically; a file vidpipe did not write is never replaced).
enum ChaptersFile {
    static func write(_ items: [ReasoningItem], directory: URL, videoPath: String) throws {
        let base = URL(fileURLWithPath: videoPath).deletingPathExtension().lastPathComponent
        let cues = items.enumerated().map { i, item in
            SubtitleCue(index: i + 1, start: item.start ?? 0, end: max(item.end ?? 0, (item.start ?? 0) + 0.001),
                        lines: [title(of: item)])
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw CaptionExportError(path: directory.path, message: "cannot create the output directory: \(error.localizedDescription)")
        }
        try CaptionFileWriter(directory: directory, baseName: base + ".chapters", source: videoPath).write(cues, format: .vtt)
    }

    static func title(of item: ReasoningItem) -> String {
        item.json.flatMap(JSONValue.parse)?["title"]?.stringValue ?? item.text
    }
}
