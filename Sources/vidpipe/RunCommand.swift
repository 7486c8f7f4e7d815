import ArgumentParser
import Dispatch
import Foundation
import Logging
import Pipeline
import Stages
import Store
import Workers

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline over its inputs (or the given paths); only work whose inputs or parameters changed runs.",
        discussion: """
            Paths may be files (always tried, whatever their extension), directories (scanned recursively for \
            media extensions, hidden files skipped) or glob patterns ('videos/**/*.{mp4,mkv}'). Progress goes to \
            stderr; with --json a summary object goes to stdout at the end.
            """)

    @Argument(help: ArgumentHelp("The pipeline file.", valueName: "pipeline.yml"))
    var pipeline: String

    @Argument(help: ArgumentHelp("Files, directories or globs; default: the pipeline's `inputs:`.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .long, help: ArgumentHelp("The SQLite store (default: the pipeline's `store:`, else ./vidpipe.sqlite).", valueName: "file"))
    var db: String?

    @Option(name: .long, help: "Videos processed at once.")
    var jobs: Int = 1

    @Option(name: .long, help: ArgumentHelp("Process only shard I of N (0-based), e.g. 0/4, for several machines sharing an archive; auto: the Slurm array task or Kubernetes Indexed Job index.", valueName: "I/N|auto"))
    var shard: String?

    @Option(name: .long, help: ArgumentHelp("Stop starting new videos after this long (e.g. 6h, 90m); in-flight videos finish; exit 3.", valueName: "duration"))
    var maxDuration: String?

    @Flag(name: .long, help: "Print a JSON summary to stdout at the end.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Write the run's figures in Prometheus' text format to this file (every 30 s and at the end, atomically), e.g. for node_exporter's textfile collector.", valueName: "file.prom"))
    var metricsFile: String?

    @Flag(name: .shortAndLong, help: "Log every stage result to stderr.")
    var verbose = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let shard, shard != "auto" {
            do { _ = try ShardSpec.parse(shard) } catch { throw ValidationError("\(error)") }
        }
        if let maxDuration, Seconds.parse(maxDuration) == nil {
            throw ValidationError("--max-duration takes a duration such as 30m, 6h or 90s (got '\(maxDuration)')")
        }
    }


    func run() throws {
        let shardSpec: ShardSpec?
        do {
            shardSpec = try shard.map { try ShardSpec.parse($0) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        var graph = try loadGraph(pipeline)
        let storePath = URL(fileURLWithPath: db ?? graph.config.store ?? "vidpipe.sqlite").standardizedFileURL.path
        var logger = Logger(label: "vidpipe")
        logger.logLevel = verbose ? .debug : .error

        // Inputs: command-line paths are relative to the current directory, `inputs:` to the pipeline file.
        let inputs = paths.isEmpty ? graph.config.inputs : paths
        let base = paths.isEmpty ? graph.config.baseDirectory : FileManager.default.currentDirectoryPath
        guard !inputs.isEmpty else {
            printError("nothing to do: \(pipeline) has no `inputs:` and no paths were given\n  hint: vidpipe run \(pipeline) videos/")
            throw ExitCode(1)
        }
        let scanner = InputScanner(extensions: graph.config.extensions, baseDirectory: base)
        let scan = scanner.scan(inputs)
        let (files, problems) = (scan.files, scan.problems)
        for problem in problems { printError("warning: \(problem)") }
        for folder in scan.unlisted { printError("warning: \(Printable.line(folder.description))") }
        if !paths.isEmpty && !problems.isEmpty && files.isEmpty {
            printError("error: none of the given paths exist")
            throw ExitCode(1)
        }

        let (lock, store) = try openStoreForWriting(
            storePath, writer: "a run",
            hint: "make it writable, or pass --db with another file (status, search and export read it as it is)")
        defer { withExtendedLifetime(lock) {} }
        // One store holds one shard of one split: another split's files would mix with these.
        if let last = try store.lastShard() {
            let before = last.map { ShardSpec(index: $0.index, count: $0.count) }
            if before != shardSpec {
                printError("error: the store \(storePath) holds \(before.map { "shard \($0)" } ?? "a run over every file") of an earlier run; "
                           + "this run is \(shardSpec.map { "shard \($0)" } ?? "over every file"): their files would mix\n"
                           + "  hint: one store per shard (e.g. --db shard-$SLURM_ARRAY_TASK_ID.sqlite), joined with `vidpipe merge`; or a new store")
                throw ExitCode(1)
            }
        }

        let options = RunOptions(jobs: jobs, maxDuration: maxDuration.flatMap(Seconds.parse), shard: shardSpec)
        let providers: ModelProviders
        do {
            providers = try ModelProviders(graph: graph, store: store, factory: ModelProviders.openAI)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        // The served model's identity (digest, model-file metadata) goes into each model stage's fingerprint:
        // a re-pulled or swapped model reruns its stages and their descendants.
        let identified = ModelIdentities.apply(to: graph, providers: providers, store: store, logger: logger)
        graph = identified.graph
        do {
            try ModelIdentities.record(identified.resolved, graph: graph, store: store)
        } catch {
            printError("error: " + (store.failure(error) ?? "cannot record the model identities: \(error)"))
            throw ExitCode(1)
        }
        let runner = PipelineRunner(graph: graph, store: store, options: options, logger: logger, providers: providers)
        let display = ProgressDisplay(progress: runner.progress, verbose: verbose)
        let signals = StopSignals { first in
            if first {
                display.message("stopping: no new videos will start; the ones in flight finish (Ctrl-C again to abort at once)")
                runner.requestStop()
            } else {
                display.message("aborted; everything stored so far is kept, rerun to resume")
                Foundation.exit(3)
            }
        }
        if let shardSpec {
            let mine = files.filter(shardSpec.contains).count
            printError("vidpipe: shard \(shardSpec): \(mine) of the \(files.count) files found")
        }
        printError("vidpipe: \(graph.config.name): \(files.count) file\(files.count == 1 ? "" : "s"), "
                   + "\(graph.stages.count) stages, store \(storePath)")
        display.start()
        let metrics = metricsFile.map { MetricsFile(path: $0, store: store, progress: runner.progress, pipeline: graph.config.name) }
        metrics?.start()
        var summary: RunSummary
        do {
            summary = try runner.run(files: files) { outcome in display.videoFinished(outcome) }
        } catch {
            providers.shutdown()
            display.stop()
            let message = store.failure(error) ?? "cannot write the store \(storePath): \(error)"
            var failed = RunSummary()
            failed.store_error = message
            try? metrics?.finish(failed)
            printError("error: \(message)")
            throw ExitCode(1)
        }
        summary.skipped_folders = scan.unlisted.map { RunSummary.Failure(path: $0.path, error: "cannot list the folder: \($0.reason)") }
        do {
            try metrics?.finish(summary)
        } catch {
            printError("warning: cannot write the metrics file \(metricsFile ?? ""): \(error.localizedDescription)")
        }
        providers.shutdown()
        display.stop()
        withExtendedLifetime(signals) {}
        if summary.store_error == nil { store.close() }
        display.summary(summary)
        if json { try printJSON(summary) }
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}

/// SIGINT / SIGTERM handling on a Dispatch queue: the first asks the run to stop, the second aborts.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(handler: @escaping @Sendable (_ first: Bool) -> Void) {
        let count = Locked(0)
        let queue = DispatchQueue(label: "vidpipe.signals")
        sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler {
                let n = count.withLock { $0 += 1; return $0 }
                handler(n == 1)
            }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}
