import ArgumentParser
import Foundation
import Store

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Summarise a store: videos done, failed and pending, per-stage counts, and every failure with its reason.")

    @OptionGroup var store: StoreOptions

    @Flag(name: .long, help: "Print JSON: {videos: {done, failed, pending}, stages: [{stage, done, failed}], failures: [{path, error}], models: [{provider, model, calls, prompt_tokens, completion_tokens, total_tokens}]}.")
    var json = false

    func run() throws {
        let db = try openExistingStore(store.resolvedPath)
        let report = try db.statusReport()
        if json {
            try printJSON(report)
            return
        }
        print("store: \(db.path)")
        print("videos: \(report.videos.done) done, \(report.videos.failed) failed, \(report.videos.pending) pending")
        if !report.stages.isEmpty {
            let width = max(5, report.stages.map(\.stage.count).max() ?? 5)
            print("stages:")
            for s in report.stages {
                print("  " + s.stage.padding(toLength: width, withPad: " ", startingAt: 0)
                      + "  \(s.done) done, \(s.failed) failed, \(s.skipped) skipped")
            }
        }
        if !report.models.isEmpty {
            print("model calls (cache hits not counted):")
            for m in report.models {
                print("  \(m.provider)/\(m.model): \(m.calls) calls, \(m.prompt_tokens) prompt + \(m.completion_tokens) completion = \(m.total_tokens) tokens")
            }
        }
        if !report.failures.isEmpty {
            print("failures:")
            for f in report.failures { print("  \(Printable.line(f.path)): \(Printable.line(f.error))") }
        }
    }
}

/// Opens a store a run wrote, for reading: read-only, never migrated or created. `cache: true` (ask,
/// semantic search) opens it writable when it is, so model answers are cached in it.
func openExistingStore(_ path: String, cache: Bool = false, checkIntegrity: Bool = true) throws -> VidpipeStore {
    guard FileManager.default.fileExists(atPath: path) else {
        printError("error: no store at \(path)\n  hint: run a pipeline first (vidpipe run pipeline.yml) or pass --db FILE")
        throw ExitCode(1)
    }
    do {
        let store = try VidpipeStore(path: path, readOnly: true)  // a vidpipe store of the current schema
        if checkIntegrity { try store.checkIntegrity() }
        let writable = FileManager.default.isWritableFile(atPath: path)
            && FileManager.default.isWritableFile(atPath: (path as NSString).deletingLastPathComponent)
        return cache && writable ? try VidpipeStore(path: path) : store
    } catch let error as StoreError {
        printError("error: \(error)")
        throw ExitCode(1)
    } catch {
        printError("error: cannot open the store \(path): \(error)")
        throw ExitCode(1)
    }
}
