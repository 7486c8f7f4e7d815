import ArgumentParser
import Foundation
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export one video's results (JSON: the video, and every stage's status and rows).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case json }

    @Argument(help: ArgumentHelp("The video: its id, its path, or a unique file name.", valueName: "video"))
    var video: String

    @OptionGroup var store: StoreOptions

    @Option(help: "Output format.")
    var format: Format = .json

    @Option(name: .long, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var out: String?

    func run() throws {
        let db = try openExistingStore(store.resolvedPath)
        guard let row = try db.findVideo(video) else {
            printError("error: no video '\(video)' in \(db.path)\n  hint: give its id or path as `vidpipe status` lists them")
            throw ExitCode(1)
        }
        let data = try db.exportJSON(videoID: row.id)
        if let out {
            try data.write(to: URL(fileURLWithPath: out), options: .atomic)
            printError("wrote \(out)")
        } else {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        }
    }
}
