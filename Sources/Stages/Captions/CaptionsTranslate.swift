import Foundation
import ModelAPI

/// `captions.translate`: the cues of an upstream `captions.export` stage translated by a language
/// model into each of `languages`, in batches with a few preceding cues as context (see
/// `CueTranslator`). Every translated cue keeps its original's number and timing exactly; its text is
/// laid out again with the caption line rules. The cues are stored with their language (and indexed
/// for search) and written as `NAME.LANG.vtt` / `NAME.LANG.srt`, with `CaptionFileWriter`'s rules.
public struct CaptionsTranslate: StageType {
    public static let name = "captions.translate"
    public static let summary = "Translate caption cues with a language model (batches with context, timing kept) and write NAME.LANG.vtt/.srt files"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.subtitles]
    public static let outputKind: DataKind = .subtitles
    public static let media: MediaNeed = .none

    public struct Parameters: StageParameters {
        public var languages: [String] = []
        public var model = ""
        public var batchSize = 20
        public var context = 3
        public var maxTokens = 2048
        public var temperature = 0.2
        public var formats: [SubtitleFormat] = [.vtt, .srt]
        /// Empty: next to the video.
        public var outDir = ""
        public var maxChars = 42
        public var maxLines = 2

        public init() {}

        public func validate() throws(ParameterError) {
            guard !languages.isEmpty else {
                throw ParameterError(key: "languages", "lists no language", hint: "e.g. languages: [de, fr]")
            }
            for code in languages where !CaptionsTranslate.isLanguageCode(code) {
                throw ParameterError(key: "languages", "'\(code)' is not a language code",
                                     hint: "use ISO 639 codes such as de, fr, pt-BR")
            }
            guard Set(languages.map { $0.lowercased() }).count == languages.count else {
                throw ParameterError(key: "languages", "lists a language twice", hint: "e.g. [de, fr]")
            }
            try ModelParameterCheck.common(maxTokens: maxTokens, temperature: temperature, model: model)
            try check(\.batchSize, 1...200)
            try check(\.context, 0...50)
            guard Set(formats).count == formats.count else {
                throw ParameterError(key: "formats", "lists a format twice", hint: "e.g. [vtt, srt]")
            }
            try check(\.maxChars, 10...200)
            try check(\.maxLines, 1...3)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("languages", \.languages, "list of language codes",
                           "required: the languages to translate into (ISO 639 codes, e.g. [de, fr] or pt-BR); each gives its own cues and files"),
            ParameterField("model", \.model, "string", "model name on the server (e.g. llama3.2); empty: the provider's `model`"),
            ParameterField("batch_size", \.batchSize, "integer", "cues translated per request"),
            ParameterField("context", \.context, "integer",
                           "preceding cues sent with each batch as context (not translated in that request)"),
            ParameterField("max_tokens", \.maxTokens, "integer", "longest answer, in tokens (one batch's translations)"),
            ParameterField("temperature", \.temperature, "number 0–2", "sampling temperature; low keeps translations faithful and repeatable"),
            ParameterField("formats", \.formats, "list of vtt, srt", "files to write per language; [] writes none (the cues are still stored)",
                           read: CaptionsExport.Parameters.decodeFormats),
            ParameterField("out_dir", \.outDir, "path",
                           "where the files go, as captions.export's out_dir (give the same value to put them beside the originals): "
                              + "movie.mp4 gives movie.de.vtt and movie.de.srt. A file of that name that vidpipe did not write "
                              + "is never replaced; vidpipe writes movie.de.vidpipe.vtt / .srt instead"),
            ParameterField("max_chars", \.maxChars, "integer", "characters per line of a translated cue"),
            ParameterField("max_lines", \.maxLines, "integer 1–3",
                           "lines per translated cue; a translation that does not fit is asked for once more, shorter, then fails the stage"),
        ]
    }

    /// ISO 639 with optional subtags (`de`, `pt-BR`, `zh-Hant`); safe in a file name.
    public static func isLanguageCode(_ code: String) -> Bool {
        code.wholeMatch(of: /[a-z]{2,3}(-[A-Za-z0-9]{2,8})*/) != nil
    }

    public static func needsProvider(_ parameters: Parameters) -> Bool { true }
    public static func model(_ parameters: Parameters) -> String? { parameters.model.isEmpty ? nil : parameters.model }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        let provider = try context.requireProvider(name)
        guard case .subtitles(let cues)? = context.input(.subtitles) else {
            throw ParameterError(key: "from", "captions.translate needs the cues of an upstream captions.export stage",
                                 hint: "add `from: captions` with a captions.export stage")
        }
        let originals = cues.filter { $0.language == nil }.sorted { $0.index < $1.index }
        if originals.isEmpty && !cues.isEmpty {
            throw ParameterError(key: "from", "captions.translate reads the video's own cues, and its upstream stage holds only translations",
                                 hint: "take `from:` a captions.export stage")
        }
        let translator = CueTranslator(
            provider: provider, parameters: parameters, stage: context.stageName.isEmpty ? name : context.stageName,
            title: URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent)
        return .compute { .subtitles(try translator.translate(originals)) }
    }

    /// The translated caption files, per language and format, written once the cues are stored.
    public static func sidecars(parameters: Parameters, context: StageContext, output: StageOutput) -> [Sidecar] {
        guard case .subtitles(let cues) = output, !parameters.formats.isEmpty else { return [] }
        let directory = CaptionsExport.outputDirectory(outDir: parameters.outDir, videoPath: context.videoPath)
        let baseName = URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent
        let formats = parameters.formats, videoPath = context.videoPath
        let languages = parameters.languages
        return [Sidecar("translated captions (\(languages.joined(separator: ", "))) in \(directory.path)") {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw CaptionExportError(path: directory.path, message: "cannot create the output directory: \(error.localizedDescription)")
            }
            for language in languages {
                let writer = CaptionFileWriter(directory: directory, baseName: baseName + "." + language, source: videoPath)
                let translated = cues.filter { $0.language == language }
                for format in formats { try writer.write(translated, format: format) }
            }
        }]
    }
}
