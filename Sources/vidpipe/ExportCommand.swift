import ArgumentParser
import Foundation
import Stages
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export one video's results: JSON (the video and every stage's rows), or its captions as SRT or WebVTT.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, srt, vtt }

    @Argument(help: ArgumentHelp("The video: its id, its path, or a unique file name.", valueName: "video"))
    var video: String

    @OptionGroup var store: StoreOptions

    @Option(help: "Output format: json, srt or vtt (captions from the most recent captions.export stage).")
    var format: Format = .json

    @Option(name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

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
            guard let stage = try db.stages(storing: .subtitles, videoID: row.id).first else {
                printError("error: no captions for \(row.path) in \(db.path)\n  hint: add a captions.export stage "
                           + "(from a speech.transcribe stage) to the pipeline and run it")
                throw ExitCode(1)
            }
            let cues = try db.records(SubtitleCue.self, videoID: row.id, stage: stage)
            let subtitleFormat: SubtitleFormat = format == .srt ? .srt : .vtt
            data = Data(subtitleFormat.render(cues).utf8)
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
}
