import Foundation
import MediaIO
import ModelAPI

/// The kinds of data that flow along the edges of the stage graph. Two stages connect only when
/// the upstream's output kind is one the downstream accepts (like GStreamer caps).
public enum DataKind: String, Sendable, Codable, CaseIterable {
    /// The decoded video file itself (frames and audio); what a stage with no `from` reads.
    case media
    case frames
    case shots
    case audioSegments = "audio_segments"
    /// Timed speech-to-text segments.
    case transcript
    /// Text read from frames (OCR).
    case ocrText = "ocr_text"
    /// Caption cues (subtitles) built from a transcript.
    case subtitles
    /// What a vision-language model says about frames.
    case captions
    /// Vectors for semantic search.
    case embeddings
    /// One fused record per shot: captions, on-screen text and speech on the shared time axis.
    case timeline
    /// A language model's summaries, chapters, tags or answers.
    case reasoning
}

/// Which decoded modality a stage reads from the media file.
public enum MediaNeed: String, Sendable {
    case none, video, audio
}

/// A shot: [start, end) in seconds.
public struct ShotSpan: Sendable, Equatable, Codable {
    public var index: Int
    public var start: Double
    public var end: Double
    public init(index: Int, start: Double, end: Double) {
        self.index = index
        self.start = start
        self.end = end
    }
}

/// A stored still: a thumbnail JPEG with its 64-bit perceptual hash.
public struct SampledFrame: Sendable, Equatable {
    public var time: Double
    public var shotIndex: Int?
    public var phash: UInt64
    public var width: Int
    public var height: Int
    public var jpeg: [UInt8]
    public init(time: Double, shotIndex: Int?, phash: UInt64, width: Int, height: Int, jpeg: [UInt8]) {
        self.time = time
        self.shotIndex = shotIndex
        self.phash = phash
        self.width = width
        self.height = height
        self.jpeg = jpeg
    }
}

public enum AudioSegmentKind: String, Sendable, Codable {
    case speech, silence
}

public struct AudioSegment: Sendable, Equatable {
    public var kind: AudioSegmentKind
    public var start: Double
    public var end: Double
    /// Mean loudness of the segment in dBFS (RMS over the segment; -120 for digital silence).
    public var loudnessDB: Double
    public init(kind: AudioSegmentKind, start: Double, end: Double, loudnessDB: Double) {
        self.kind = kind
        self.start = start
        self.end = end
        self.loudnessDB = loudnessDB
    }
}

/// A word with its time, where the engine gives word timings.
public struct WordTiming: Sendable, Equatable, Codable {
    public var word: String
    public var start: Double
    public var end: Double
    /// 0...1 where the engine gives one.
    public var confidence: Double?
    public init(word: String, start: Double, end: Double, confidence: Double? = nil) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }
}

/// A stretch of recognised speech, in media time.
public struct TranscriptSegment: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var text: String
    /// 0...1; nil when the engine gives none.
    public var confidence: Double?
    public var words: [WordTiming]
    /// The spoken language (ISO 639-1, e.g. "en") where the engine gives or was told one.
    public var language: String?
    public init(start: Double, end: Double, text: String, confidence: Double?, words: [WordTiming] = [],
                language: String? = nil) {
        self.start = start
        self.end = end
        self.text = text
        self.confidence = confidence
        self.words = words
        self.language = language
    }
}

/// A box of text found on a frame, in the frame's pixel coordinates (as decoded for OCR).
public struct TextBox: Sendable, Equatable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var text: String
    public var confidence: Double
    public init(x: Int, y: Int, width: Int, height: Int, text: String, confidence: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.text = text
        self.confidence = confidence
    }
}

/// The text read from one frame of an upstream frames stage.
public struct OCRText: Sendable, Equatable {
    /// Media time of the frame (equal to the upstream frame's time).
    public var time: Double
    public var text: String
    /// Mean word confidence, 0...1.
    public var confidence: Double
    public var boxes: [TextBox]
    /// When the result was reused from an earlier, perceptually identical frame: that frame's time.
    public var reusedFrom: Double?
    public init(time: Double, text: String, confidence: Double, boxes: [TextBox], reusedFrom: Double? = nil) {
        self.time = time
        self.text = text
        self.confidence = confidence
        self.boxes = boxes
        self.reusedFrom = reusedFrom
    }
}

/// One caption cue: at most two lines, on screen from start to end.
public struct SubtitleCue: Sendable, Equatable {
    public var index: Int
    public var start: Double
    public var end: Double
    public var lines: [String]
    public init(index: Int, start: Double, end: Double, lines: [String]) {
        self.index = index
        self.start = start
        self.end = end
        self.lines = lines
    }
}

/// A frame's caption from a vision-language model.
public struct FrameCaption: Sendable, Equatable {
    /// Media time of the frame (equal to the upstream frame's time).
    public var time: Double
    public var text: String
    public var model: String
    /// When the caption was reused from an earlier, perceptually identical frame: that frame's time.
    public var reusedFrom: Double?
    public init(time: Double, text: String, model: String, reusedFrom: Double? = nil) {
        self.time = time
        self.text = text
        self.model = model
        self.reusedFrom = reusedFrom
    }
}

/// A vector for one moment: the text (or frame) it embeds and where it sits in time.
public struct Embedding: Sendable, Equatable {
    /// transcript, ocr, caption, timeline, reasoning or frame.
    public var refKind: String
    public var start: Double
    public var end: Double
    public var text: String
    public var vector: [Float]
    public var model: String
    public init(refKind: String, start: Double, end: Double, text: String, vector: [Float], model: String) {
        self.refKind = refKind
        self.start = start
        self.end = end
        self.text = text
        self.vector = vector
        self.model = model
    }
}

/// A text with its time range, inside a fused record.
public struct TimedText: Sendable, Equatable, Codable {
    public var start: Double
    public var end: Double
    public var text: String
    public init(start: Double, end: Double, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }
    enum CodingKeys: String, CodingKey {
        case text
        case start = "start_s"
        case end = "end_s"
    }
}

/// One shot's fused record (late fusion): everything the encoders found in [start, end).
public struct FusedShot: Sendable, Equatable, Codable {
    public var index: Int
    public var start: Double
    public var end: Double
    /// Time of the shot's keyframe (from an upstream frames stage), if any.
    public var keyframe: Double?
    public var captions: [TimedText]
    public var ocr: [TimedText]
    public var transcript: [TimedText]
    public init(index: Int, start: Double, end: Double, keyframe: Double?, captions: [TimedText], ocr: [TimedText],
                transcript: [TimedText]) {
        self.index = index
        self.start = start
        self.end = end
        self.keyframe = keyframe
        self.captions = captions
        self.ocr = ocr
        self.transcript = transcript
    }
    enum CodingKeys: String, CodingKey {
        case captions, ocr, transcript
        case index = "shot"
        case start = "start_s"
        case end = "end_s"
        case keyframe = "keyframe_s"
    }
}

/// One item of a language model's answer: the summary, a chapter, the tags, one answered question.
public struct ReasoningItem: Sendable, Equatable {
    /// summary, chapters, tags, qa or custom.
    public var task: String
    public var index: Int
    public var start: Double?
    public var end: Double?
    /// The readable text (indexed for search).
    public var text: String
    /// The structured answer, as JSON text, where the task has one.
    public var json: String?
    public var model: String
    public init(task: String, index: Int, start: Double?, end: Double?, text: String, json: String?, model: String) {
        self.task = task
        self.index = index
        self.start = start
        self.end = end
        self.text = text
        self.json = json
        self.model = model
    }
}

/// What a stage produces for one video.
public enum StageOutput: Sendable, Equatable {
    case frames([SampledFrame])
    case shots([ShotSpan])
    case audioSegments([AudioSegment])
    case transcript([TranscriptSegment])
    case ocrText([OCRText])
    case subtitles([SubtitleCue])
    case captions([FrameCaption])
    case embeddings([Embedding])
    case timeline([FusedShot])
    case reasoning([ReasoningItem])

    public var kind: DataKind {
        switch self {
        case .frames: return .frames
        case .shots: return .shots
        case .audioSegments: return .audioSegments
        case .transcript: return .transcript
        case .ocrText: return .ocrText
        case .subtitles: return .subtitles
        case .captions: return .captions
        case .embeddings: return .embeddings
        case .timeline: return .timeline
        case .reasoning: return .reasoning
        }
    }

    public var rowCount: Int {
        switch self {
        case .frames(let v): return v.count
        case .shots(let v): return v.count
        case .audioSegments(let v): return v.count
        case .transcript(let v): return v.count
        case .ocrText(let v): return v.count
        case .subtitles(let v): return v.count
        case .captions(let v): return v.count
        case .embeddings(let v): return v.count
        case .timeline(let v): return v.count
        case .reasoning(let v): return v.count
        }
    }

    /// A one-line summary stored with the stage result (stage_results.note), e.g. OCR's reuse count.
    public var note: String? {
        switch self {
        case .ocrText(let texts):
            let reused = texts.filter { $0.reusedFrom != nil }.count
            return "\(texts.count - reused) frames read, \(reused) reused (perceptual hash match)"
        case .captions(let captions):
            let reused = captions.filter { $0.reusedFrom != nil }.count
            let models = Set(captions.map(\.model)).sorted().joined(separator: ", ")
            return "\(captions.count - reused) frames captioned, \(reused) reused (perceptual hash match)"
                + (models.isEmpty ? "" : "; model \(models)")
        case .reasoning(let items):
            let models = Set(items.map(\.model)).sorted().joined(separator: ", ")
            return models.isEmpty ? nil : "model \(models)"
        case .embeddings(let vectors):
            guard let first = vectors.first else { return nil }
            return "\(vectors.count) vectors of \(first.vector.count) dimensions; model \(first.model)"
        default:
            return nil
        }
    }
}

/// Everything a stage may look at for one video.
public struct StageContext: Sendable {
    public var videoPath: String
    public var info: MediaInfo
    /// Outputs of the stages named in `from`, by stage name.
    public var upstream: [String: StageOutput]
    /// The model server named by the stage's `provider:`, if it names one.
    public var provider: (any ModelProvider)?
    /// The stage's name in the pipeline file (for messages).
    public var stageName: String
    /// The pipeline file's directory: relative paths in parameters (few-shot images…) resolve against it.
    public var pipelineDirectory: String

    public init(videoPath: String, info: MediaInfo, upstream: [String: StageOutput], provider: (any ModelProvider)? = nil,
                stageName: String = "", pipelineDirectory: String = FileManager.default.currentDirectoryPath) {
        self.videoPath = videoPath
        self.info = info
        self.upstream = upstream
        self.provider = provider
        self.stageName = stageName
        self.pipelineDirectory = pipelineDirectory
    }

    /// Every upstream output of the given kind, in stage-name order.
    public func inputs(_ kind: DataKind) -> [StageOutput] {
        upstream.keys.sorted().compactMap { self.upstream[$0] }.filter { $0.kind == kind }
    }

    /// The stage's provider, or an error that says how to name one.
    public func requireProvider(_ stageType: String) throws -> any ModelProvider {
        guard let provider else {
            throw ParameterError(key: "provider", "\(stageType) needs a model server",
                                 hint: "add `provider: NAME` to stage '\(stageName)' and define NAME under `providers:` (type: openai)")
        }
        return provider
    }

    /// The first upstream output of the given kind (stages declare at most one input per kind).
    public func input(_ kind: DataKind) -> StageOutput? {
        upstream.keys.sorted().lazy.compactMap { self.upstream[$0] }.first { $0.kind == kind }
    }
}

/// Receives the frames a stage asked for, in presentation order, on one serial queue; then
/// `finish()` once, after the last frame. Not thread-safe by contract: the scheduler never calls
/// it from two threads at once.
public protocol VideoFrameSink: AnyObject {
    func consume(_ frame: VideoFrame) throws
    func finish() throws -> StageOutput
}

/// Receives 16 kHz mono audio in time order, on one serial queue; then `finish()` once.
public protocol AudioChunkSink: AnyObject {
    func consume(_ chunk: AudioChunk) throws
    func finish() throws -> StageOutput
    /// A one-line note stored with the stage result, read after `finish` (e.g. what a filter removed).
    var note: String? { get }
}

extension AudioChunkSink {
    public var note: String? { nil }
}

/// How a stage does its work on one video.
public enum StageWork {
    /// Wants frames from the shared decode pass.
    case video(FrameRequest, any VideoFrameSink)
    /// Wants the audio track, resampled to 16 kHz mono.
    case audio(any AudioChunkSink)
    /// Needs no decoding: a function of its upstream outputs.
    case compute(@Sendable () throws -> StageOutput)
    /// Nothing to do for this video (e.g. an audio stage on a file without audio). Not a failure.
    case skip(reason: String)
}

/// Documentation and validation data for one parameter of a stage type.
public struct ParameterDoc: Sendable, Equatable {
    public var name: String
    public var type: String
    public var defaultValue: String
    public var summary: String
    public init(_ name: String, _ type: String, default defaultValue: String, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// A parameter value that is well-formed YAML but not acceptable: which key, what is wrong, what would do.
public struct ParameterError: Error, Sendable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var hint: String?
    public init(key: String, _ message: String, hint: String? = nil) {
        self.key = key
        self.message = message
        self.hint = hint
    }
    public var description: String { "\(key): \(message)" + (hint.map { " (\($0))" } ?? "") }
}

/// A stage type's parameters: decoded from the `with:` mapping, every key optional with a default.
/// The encoded form (JSON, sorted keys) is what the stage fingerprint hashes.
public protocol StageParameters: Codable, Sendable, Equatable {
    /// All defaults.
    init()
    /// Checks values beyond their types (ranges, combinations).
    func validate() throws(ParameterError)
    /// Every accepted key, for validation of unknown keys and for docs.
    static var documentation: [ParameterDoc] { get }
}

/// A stage type: one file in Sources/Stages, one line in `StageRegistry.builtin`.
public protocol StageType: Sendable {
    associatedtype Parameters: StageParameters
    /// Registry name used in `use:`, e.g. "shots.detect".
    static var name: String { get }
    static var summary: String { get }
    /// Bump when results change for the same input and parameters; it is part of the fingerprint.
    static var version: Int { get }
    /// Kinds the `from` stages must supply; empty means the stage reads the media directly.
    static var inputKinds: [DataKind] { get }
    static var outputKind: DataKind { get }
    /// The modality decoded for this stage (a stage can need upstream outputs and video at once).
    static var media: MediaNeed { get }
    /// Plans the work for one video. Throws for a problem with this video (recorded as the stage's failure).
    static func work(parameters: Parameters, context: StageContext) throws -> StageWork
    /// Kinds at least one `from` stage must supply (the others in `inputKinds` are optional).
    static var requiredInputKinds: [DataKind] { get }
    /// Whether these parameters need a model server (`provider:`); checked before any decoding.
    static func needsProvider(_ parameters: Parameters) -> Bool
    /// The model these parameters ask for, overriding the provider's (part of the fingerprint).
    static func model(_ parameters: Parameters) -> String?
}

extension StageType {
    public static var requiredInputKinds: [DataKind] { [] }
    public static func needsProvider(_ parameters: Parameters) -> Bool { false }
    public static func model(_ parameters: Parameters) -> String? { nil }
}

/// A length of time in a pipeline file: "500ms", "5s", "2m", "1h", or bare seconds (`5`, `0.5`).
public struct Seconds: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self.value = number
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = Seconds.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a duration; write it with a unit, e.g. 500ms, 5s, 2m, 1h, or as bare seconds")
        }
        self.value = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// Parses "500ms", "1.5s", "2m", "1h", "90" (seconds). Nil when malformed or negative.
    public static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            // "ms" must not be read as "m" + "s": the loop tries "ms" first.
            if let v = Double(number), v >= 0, v.isFinite { return v * scale }
            return nil
        }
        if let v = Double(s), v >= 0, v.isFinite { return v }
        return nil
    }

    public var description: String {
        value >= 1 || value == 0 ? "\(Seconds.trim(value))s" : "\(Seconds.trim(value * 1000))ms"
    }

    private static func trim(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }
}
