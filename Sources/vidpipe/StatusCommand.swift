import ArgumentParser
import Foundation
import Pipeline
import Store

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Summarise a store: videos done, failed and pending, per-stage counts, and every failure with its reason.")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Several stores (or a quoted glob such as 'shards/*.sqlite') to sum, e.g. the shards of one run; default: --db.",
                                 valueName: "store"))
    var stores: [String] = []

    @Flag(name: .long, help: "Print JSON: {videos: {done, failed, pending}, stages: [{stage, done, failed}], failures: [{path, error}], models: [{provider, model, calls, prompt_tokens, completion_tokens, total_tokens}]}.")
    var json = false

    /// The stores named: globs expanded (sorted), or --db.
    func storePaths() throws -> [String] {
        guard !stores.isEmpty else { return [store.resolvedPath] }
        var paths: [String] = []
        for name in stores {
            let absolute = URL(fileURLWithPath: name).standardizedFileURL.path
            if name.contains(where: { "*?[".contains($0) }) {
                let matches = InputScanner.files(matching: absolute)
                guard !matches.isEmpty else {
                    printError("error: no store matches \(name)")
                    throw ExitCode(1)
                }
                paths += matches
            } else {
                paths.append(absolute)
            }
        }
        return paths
    }

    func run() throws {
        let paths = try storePaths()
        let opened = try paths.map { try openExistingStore($0) }
        let report = opened.count == 1 ? try opened[0].statusReport() : StatusReport.summing(try opened.map { try $0.statusReport() })
        if json {
            try printJSON(report)
            return
        }
        if opened.count == 1 {
            print("store: \(opened[0].path)")
        } else {
            print("stores: \(opened.count) (\(opened.map { ($0.path as NSString).lastPathComponent }.joined(separator: ", ")))")
        }
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
        if !report.stale_models.isEmpty {
            print("results from a model no longer served (the next run redoes them):")
            for s in report.stale_models {
                print("  \(s.stage): \(s.videos) video\(s.videos == 1 ? "" : "s") made with \(s.provider)/\(s.model) "
                      + "[\(Printable.line(String(s.made_with.prefix(80))))]; served now: [\(Printable.line(String(s.served.prefix(80))))]")
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

/// Opens (creating if needed) a store to write into under the run lock, as `run` and `merge` do:
/// a read-only store, a store another run holds, a damaged one or one that cannot be created is one
/// line and exit 1. `writer` names what writes ("a run", "a merge"), `hint` what to do instead.
func openStoreForWriting(_ path: String, writer: String, hint: String) throws -> (lock: RunLock, store: VidpipeStore) {
    if FileManager.default.fileExists(atPath: path) && !FileManager.default.isWritableFile(atPath: path) {
        printError("error: the store \(path) is read-only; \(writer) writes into it\n  hint: \(hint)")
        throw ExitCode(1)
    }
    do {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = try RunLock(store: path)
        let store = try VidpipeStore(path: path)
        try store.checkIntegrity()
        return (lock, store)
    } catch let error as RunLock.Busy {
        printError("error: \(error)")
    } catch let error as RunLock.CannotLock {
        printError("error: \(error)")
    } catch let error as StoreError {
        printError("error: \(error)")
    } catch {
        printError("error: \(VidpipeStore.failure(error, path: path) ?? "cannot open the store \(path): \(error)")")
    }
    throw ExitCode(1)
}
