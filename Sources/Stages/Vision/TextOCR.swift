import Foundation
import MediaIO
import TesseractOCR

/// `text.ocr`: the text on the frames of an upstream frames stage (frames.sample or frames.keyframes),
/// read by Tesseract from the frame re-decoded at OCR resolution. A frame whose perceptual hash is
/// within `reuse_distance` of a frame already read takes that frame's text without being decoded.
public struct TextOCR: StageType {
    public static let name = "text.ocr"
    public static let summary = "Read on-screen text (Tesseract) on upstream frames; near-identical frames reuse an earlier read"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.frames]
    public static let outputKind: DataKind = .ocrText
    public static let media: MediaNeed = .video

    public enum Engine: String, Sendable, Codable, CaseIterable {
        case tesseract
    }

    public struct Parameters: StageParameters {
        public var engine: Engine = .tesseract
        public var lang = "eng"
        public var dataPath = ""
        public var maxSize = 1280
        public var reuseDistance = 4
        public var minConfidence: Double = 0.5
        public var workers = 1

        public init() {}

        public func validate() throws(ParameterError) {
            let languageName = /^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$/
            guard lang.wholeMatch(of: languageName) != nil else {
                throw ParameterError(key: "lang", "'\(lang)' is not a Tesseract language",
                                     hint: "use traineddata names joined by +, e.g. eng or eng+deu")
            }
            try check(\.maxSize, 64...4096)
            try check(\.reuseDistance, -1...32)
            try check(\.minConfidence, 0...1)
            try check(\.workers, 1...16)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("engine", \.engine, "tesseract", "OCR engine; tesseract is the only one for now"),
            ParameterField("lang", \.lang, "string",
                           "Tesseract language(s), joined by + (eng+deu); each needs its traineddata (Debian tesseract-ocr-LANG)"),
            ParameterField("data_path", \.dataPath, "path",
                           "tessdata directory holding the traineddata files; empty: $TESSDATA_PREFIX, else the system's"),
            ParameterField("max_size", \.maxSize, "integer (pixels)",
                           "longest side the frame is decoded at for OCR (never upscaled by the decoder; frames under 720 rows are doubled for Tesseract)"),
            ParameterField("reuse_distance", \.reuseDistance, "integer (bits)",
                           "a frame whose perceptual hash is within this Hamming distance of an already-read frame reuses its text; "
                         + "-1 reads every frame (small text changing over a still picture can hide under the hash)"),
            ParameterField("min_confidence", \.minConfidence, "number 0–1",
                           "words Tesseract is less sure of are dropped (texture read as letters scores low)"),
            ParameterField("workers", \.workers, "integer",
                           "Tesseract instances reading frames in parallel (each holds ~100 MB; one per core at most)"),
        ]
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasVideo else { return .skip(reason: "no video stream") }
        guard case .frames(let frames)? = context.input(.frames) else {
            throw ParameterError(key: "from", "text.ocr needs the frames of an upstream stage",
                                 hint: "add from: with a frames.sample or frames.keyframes stage")
        }
        let dataPath = parameters.dataPath.isEmpty ? nil : parameters.dataPath
        // Fail before decoding when the language data is missing (the error names the package to install).
        try TesseractEngine.checkLanguageData(language: parameters.lang, dataPath: dataPath)
        let plan = FrameReusePlan(frames: frames, maxDistance: parameters.reuseDistance)
        guard !plan.readTimes.isEmpty else { return .compute { .ocrText([]) } }
        let request = FrameRequest(policy: .timestamps(plan.readTimes), maxWidth: parameters.maxSize,
                                   maxHeight: parameters.maxSize, layout: .gray8)
        let pool = OCRWorkerPool(workers: parameters.workers, language: parameters.lang, dataPath: dataPath)
        return .video(request, TextOCRSink(plan: plan, pool: pool, minConfidence: parameters.minConfidence))
    }
}

/// Hands each decoded frame to the worker pool, then assembles one OCRText per upstream frame:
/// every frame with a read source gets a row, with empty text when nothing was read on it (so
/// coverage and reuse stay visible). Used on the decode pass's serial queue only.
final class TextOCRSink: VideoFrameSink {
    private let plan: FrameReusePlan
    private let pool: OCRWorkerPool
    private let minConfidence: Double
    private var submitted: Set<Double> = []

    init(plan: FrameReusePlan, pool: OCRWorkerPool, minConfidence: Double) {
        self.plan = plan
        self.pool = pool
        self.minConfidence = minConfidence
    }

    func consume(_ frame: VideoFrame) throws {
        guard let readTime = plan.readTime(nearest: frame.targetTime ?? frame.time),
              submitted.insert(readTime).inserted else { return }
        try pool.read(frame, key: readTime)
    }

    func finish() throws -> StageOutput {
        let pages = try pool.finish()
        var cleaned: [Double: OCRTextCleaner.Cleaned] = [:]
        for (time, page) in pages { cleaned[time] = OCRTextCleaner.clean(page, minConfidence: minConfidence) }
        // A frame the decoder never delivered (a time past the end) has no row, nor do frames reusing it.
        let texts = plan.entries.compactMap { entry -> OCRText? in
            guard let read = cleaned[entry.source] else { return nil }
            return OCRText(time: entry.time, text: read.text, confidence: read.confidence, boxes: read.lines,
                           reusedFrom: entry.isRead ? nil : entry.source)
        }
        return .ocrText(texts)
    }
}
