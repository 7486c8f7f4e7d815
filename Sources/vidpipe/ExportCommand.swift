import ArgumentParser
import Foundation
import Stages
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export one video's results: JSON (the video and every stage's rows), its captions as SRT or WebVTT "
            + "(original or translated), its summary, or its chapters as WebVTT or FFmetadata.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, srt, vtt, summary, chapters, ffmetadata }

    @Argument(help: ArgumentHelp("The video: its id, its path, or a unique file name.", valueName: "video"))
    var video: String

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp(
        "Output format: json; srt or vtt (captions from the most recent captions stage); summary (plain text); "
            + "chapters (WebVTT chapters track) or ffmetadata (chapters for ffmpeg -map_metadata) from reason.llm.",
        valueName: "format"))
    var format: Format = .json

    @Option(help: ArgumentHelp("srt/vtt: the captions.translate translation in this language (e.g. de) instead of the original.",
                               valueName: "code"))
    var language: String?

    @Option(name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    func validate() throws {
        if let language {
            guard format == .srt || format == .vtt else {
                throw ValidationError("--language applies to --format srt or vtt only")
            }
            guard CaptionsTranslate.isLanguageCode(language) else {
                throw ValidationError("--language '\(language)' is not a language code (e.g. de, fr, pt-BR)")
            }
        }
    }

    func run() throws {
        let db = try openExistingStore(store.resolvedPath)
        guard let row = try db.findVideo(video) else {
            printError("error: no video '\(video)' in \(db.path)\n  hint: give its id or path as `vidpipe status` lists them")
            throw ExitCode(1)
        }
        let data: Data
        switch format {
        case .json:
            data = try db.exportJSON(videoID: row.id)
        case .srt, .vtt:
            let cues = try captions(db, row)
            let subtitleFormat: SubtitleFormat = format == .srt ? .srt : .vtt
            data = Data(subtitleFormat.render(cues).utf8)
        case .summary:
            guard let summary = try reasoning(db, row, task: .summary).first else {
                printError("error: no summary for \(row.path) in \(db.path)\n  hint: add a reason.llm stage with task: summary "
                           + "(from a timeline.fuse stage) to the pipeline and run it")
                throw ExitCode(1)
            }
            data = Data((summary.text + "\n").utf8)
        case .chapters, .ffmetadata:
            let chapters = ChapterFormats.chapters(try reasoning(db, row, task: .chapters), duration: row.durationS)
            guard !chapters.isEmpty else {
                printError("error: no chapters for \(row.path) in \(db.path)\n  hint: add a reason.llm stage with task: chapters "
                           + "(from a timeline.fuse stage) to the pipeline and run it")
                throw ExitCode(1)
            }
            data = Data((format == .chapters ? ChapterFormats.webVTT(chapters) : ChapterFormats.ffmetadata(chapters)).utf8)
        }
        if let out {
            var isDirectory: ObjCBool = false
            let folder = (out as NSString).deletingLastPathComponent
            if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
                printError("error: --out \(out) is a folder\n  hint: give a file name, e.g. \((out as NSString).appendingPathComponent("video.\(format.rawValue)"))")
                throw ExitCode(1)
            }
            if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
                printError("error: cannot write \(out): the folder \(folder) does not exist")
                throw ExitCode(1)
            }
            do {
                try data.write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
                printError("error: cannot write \(out): \((posix ?? error.localizedDescription).lowercased())")
                throw ExitCode(1)
            }
            printError("wrote \(out)")
        } else {
            FileHandle.standardOutput.write(data)
            if format == .json { FileHandle.standardOutput.write(Data("\n".utf8)) }
        }
    }

    /// The cues of the most recent captions stage: the video's own, or those in `--language`.
    private func captions(_ db: VidpipeStore, _ row: VideoRow) throws -> [SubtitleCue] {
        var languages = Set<String>()
        for stage in try db.stages(storing: .subtitles, videoID: row.id) {
            let cues = try db.records(SubtitleCue.self, videoID: row.id, stage: stage)
            let chosen = cues.filter { $0.language == language }
            if !chosen.isEmpty { return chosen }
            languages.formUnion(cues.compactMap(\.language))
        }
        if let language {
            let have = languages.isEmpty ? "" : " (it has \(languages.sorted().joined(separator: ", ")))"
            printError("error: no \(language) captions for \(row.path) in \(db.path)\(have)\n  hint: add a captions.translate stage "
                       + "with languages: [\(language)] (from a captions.export stage) to the pipeline and run it")
        } else {
            printError("error: no captions for \(row.path) in \(db.path)\n  hint: add a captions.export stage "
                       + "(from a speech.transcribe stage) to the pipeline and run it")
        }
        throw ExitCode(1)
    }

    /// The items of `task` from the most recent reason.llm stage that has them.
    private func reasoning(_ db: VidpipeStore, _ row: VideoRow, task: ReasoningTask) throws -> [ReasoningItem] {
        for stage in try db.stages(storing: .reasoning, videoID: row.id) {
            let items = try db.records(ReasoningItem.self, videoID: row.id, stage: stage).filter { $0.task == task }
            if !items.isEmpty { return items }
        }
        return []
    }
}
