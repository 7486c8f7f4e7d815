import Foundation
import MediaIO

/// `captions.export`: caption cues from a transcript (broadcast rules, see `CaptionCueBuilder`),
/// stored as the stage's output and written as WebVTT and/or SRT files (see `CaptionFileWriter`
/// for names and for how files vidpipe did not write are kept).
public struct CaptionsExport: StageType {
    public static let name = "captions.export"
    public static let summary = "Build caption cues from a transcript (2 lines of 42 characters, 1–7 s, no overlap) and write .vtt/.srt files"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.transcript]
    public static let outputKind: DataKind = .subtitles
    public static let media: MediaNeed = .none

    public struct Parameters: StageParameters {
        public var formats: [SubtitleFormat] = [.vtt, .srt]
        /// Empty: next to the video.
        public var outDir = ""
        public var maxChars = 42
        public var maxLines = 2
        public var minDuration = Seconds(1)
        public var maxDuration = Seconds(7)
        public var pause = Seconds(0.5)

        public init() {}

        public func validate() throws(ParameterError) {
            guard Set(formats).count == formats.count else {
                throw ParameterError(key: "formats", "lists a format twice", hint: "e.g. [vtt, srt]")
            }
            try check(\.maxChars, 10...200)
            try check(\.maxLines, 1...3)
            try check(\.minDuration, 0...10)
            try check(\.maxDuration, 0.5...60)
            guard minDuration.value <= maxDuration.value else {
                throw ParameterError(key: "min_duration", "\(minDuration) is longer than max_duration (\(maxDuration))",
                                     hint: "make min_duration at most max_duration")
            }
            try check(\.pause, 0.05...10)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("formats", \.formats, "list of vtt, srt",
                           "files to write; [] writes none (the cues are still stored for `vidpipe export`)",
                           read: decodeFormats),
            ParameterField("out_dir", \.outDir, "path",
                           "where the files go: empty puts them next to the video; a relative path is taken from the "
                              + "video's directory (captions: VIDEO_DIR/captions/); an absolute path is used as is "
                              + "(shared by every video). Created if missing. Files are named after the video: movie.mp4 "
                              + "gives movie.vtt and movie.srt (movie.mp4.vtt when another video's captions hold the name). "
                              + "A file of that name that vidpipe did not write is never replaced; vidpipe writes "
                              + "movie.vidpipe.vtt / .srt instead"),
            ParameterField("max_chars", \.maxChars, "integer", "characters per caption line"),
            ParameterField("max_lines", \.maxLines, "integer 1–3", "lines per cue"),
            ParameterField("min_duration", \.minDuration, "duration",
                           "shortest time on screen; a cue is shorter only when the cues around it leave no room"),
            ParameterField("max_duration", \.maxDuration, "duration", "longest time on screen; longer speech is split"),
            ParameterField("pause", \.pause, "duration",
                           "a silence between words at least this long starts a new cue (so does a sentence end)"),
        ]

        /// Each name is checked on its own, so an unknown one is reported with the formats there are.
        static func decodeFormats(_ c: KeyedDecodingContainer<ParameterKey>, _ key: ParameterKey) throws -> [SubtitleFormat] {
            try c.decode([String].self, forKey: key).map { name in
                guard let format = SubtitleFormat(rawValue: name) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: c,
                        debugDescription: "'\(name)' is not a valid format; use a list of: "
                            + SubtitleFormat.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return format
            }
        }

        var rules: CaptionCueBuilder.Rules {
            var r = CaptionCueBuilder.Rules()
            r.maxChars = maxChars
            r.maxLines = maxLines
            r.minDuration = minDuration.value
            r.maxDuration = maxDuration.value
            r.pause = pause.value
            return r
        }
    }

    /// The directory the files go to for the video at `videoPath` (see `out_dir`).
    static func outputDirectory(outDir: String, videoPath: String) -> URL {
        let videoDirectory = URL(fileURLWithPath: videoPath).standardizedFileURL.deletingLastPathComponent()
        if outDir.isEmpty { return videoDirectory }
        let expanded = (outDir as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded, isDirectory: true) }
        return videoDirectory.appendingPathComponent(expanded, isDirectory: true).standardizedFileURL
    }

    /// The cue builder for the parameters; the gap between cues is two frames of the video
    /// (80 ms when the frame rate is unknown).
    static func cueBuilder(parameters: Parameters, fps: Double) -> CaptionCueBuilder {
        var rules = parameters.rules
        if fps > 1 { rules.gap = min(0.2, 2 / fps) }
        return CaptionCueBuilder(rules: rules)
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard case .transcript(let segments)? = context.input(.transcript) else {
            throw ParameterError(key: "from", "captions.export needs the transcript of an upstream stage",
                                 hint: "add from: with a speech.transcribe stage")
        }
        let builder = cueBuilder(parameters: parameters, fps: context.info.fps)
        return .compute { .subtitles(builder.cues(from: segments)) }
    }

    /// The caption files, one per format, written once the cues are stored.
    public static func sidecars(parameters: Parameters, context: StageContext, output: StageOutput) -> [Sidecar] {
        guard case .subtitles(let cues) = output, !parameters.formats.isEmpty else { return [] }
        let directory = outputDirectory(outDir: parameters.outDir, videoPath: context.videoPath)
        let baseName = URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent
        let formats = parameters.formats, videoPath = context.videoPath
        return [Sidecar("captions (\(formats.map(\.rawValue).joined(separator: ", "))) in \(directory.path)") {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw CaptionExportError(path: directory.path, message: "cannot create the output directory: \(error.localizedDescription)")
            }
            let writer = CaptionFileWriter(directory: directory, baseName: baseName, source: videoPath)
            for format in formats {
                try writer.write(cues, format: format)
            }
        }]
    }
}
