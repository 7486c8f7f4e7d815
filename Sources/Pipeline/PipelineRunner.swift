import Dispatch
import Foundation
import Logging
import Store
import Workers

/// Options of `vidpipe run`.
public struct RunOptions: Sendable {
    /// Videos processed at once.
    public var jobs: Int = 1
    /// Stop starting new videos after this many seconds; in-flight videos finish.
    public var maxDuration: Double?
    /// Process only the files of this shard (stable across runs and mounts: by a hash of the path
    /// below the input root).
    public var shard: ShardSpec?
    public init(jobs: Int = 1, maxDuration: Double? = nil, shard: ShardSpec? = nil) {
        self.jobs = jobs
        self.maxDuration = maxDuration
        self.shard = shard
    }
}

/// The end-of-run summary: what `run --json` prints.
public struct RunSummary: Codable, Sendable {
    public struct Videos: Codable, Sendable {
        public var done = 0
        public var failed = 0
        /// Not started because of --max-duration or Ctrl-C; the next run picks them up.
        public var pending = 0
        /// Done, with nothing to do: every stage's result was already stored.
        public var unchanged = 0
    }
    public struct StageCounts: Codable, Sendable {
        public var stage: String
        public var done = 0
        public var failed = 0
        public var skipped = 0
        public var reused = 0
    }
    public struct Failure: Codable, Sendable {
        public var path: String
        public var error: String
        public init(path: String, error: String) {
            self.path = path
            self.error = error
        }
    }
    public var videos = Videos()
    public var stages: [StageCounts] = []
    public var failures: [Failure] = []
    public var warnings: [Failure] = []
    /// Folders a scan could not list (their files were not processed), with the reason.
    public var skipped_folders: [Failure] = []
    public var elapsed_s: Double = 0
    public var interrupted = false
    /// Set when the store itself failed (disk full, I/O error, damage): the run stopped starting
    /// videos; the ones it could not finish are pending and nothing is recorded against them.
    public var store_error: String?

    public init() {}

    /// DESIGN.md's exit codes: 0 all done, 1 the store failed (nothing was blamed on inputs),
    /// 2 some inputs failed, 3 interrupted or out of time (resumable).
    public var exitCode: Int32 {
        if store_error != nil { return 1 }
        if !skipped_folders.isEmpty && !interrupted && videos.pending == 0 { return 2 }
        if interrupted || videos.pending > 0 { return 3 }
        return videos.failed > 0 ? 2 : 0
    }
}

/// Runs a validated pipeline over a list of files, `jobs` videos at a time, on Dispatch threads.
public final class PipelineRunner: Sendable {
    public let graph: PipelineGraph
    public let store: VidpipeStore
    public let options: RunOptions
    public let progress = RunProgress()
    public let providers: ModelProviders
    let logger: Logger
    private let stopRequested = Locked(false)

    public init(graph: PipelineGraph, store: VidpipeStore, options: RunOptions, logger: Logger,
                providers: ModelProviders = .none) {
        self.graph = graph
        self.store = store
        self.options = options
        self.logger = logger
        self.providers = providers
    }

    /// Ctrl-C / SIGTERM: start nothing new; what is in flight finishes and is stored.
    public func requestStop() { stopRequested.withLock { $0 = true } }


    /// Processes `files` and returns the summary; blocks the calling thread until done.
    public func run(files allFiles: [InputFile], onVideo: @escaping @Sendable (VideoOutcome) -> Void = { _ in }) throws -> RunSummary {
        let files = options.shard.map { shard in allFiles.filter(shard.contains) } ?? allFiles
        let runID = try store.beginRun(pipelineName: graph.config.name, pipelineHash: graph.pipelineHash,
                                       shard: options.shard.map { ($0.index, $0.count) })
        let deadline = options.maxDuration.map { Date().addingTimeInterval($0) }
        progress.start(videos: files.count, bytes: files.reduce(0) { $0 + $1.sizeBytes })
        let processor = VideoProcessor(graph: graph, store: store, progress: progress, logger: logger, providers: providers)
        let next = IndexDispenser(count: files.count)
        let outcomes = Locked<[VideoOutcome]>([])
        let started = Date()
        // The `jobs` workers coordinate (decode, hand frames to sinks, wait); they hold no CPU budget.
        runLanes(width: min(options.jobs, files.count), label: "vidpipe.video-job") { [self] worker in
            while true {
                if stopRequested.current || processor.storeFault.current != nil { return }
                if let deadline, Date() >= deadline { return }
                guard let index = next.take() else { return }
                let file = files[index]
                progress.began(file.path)
                let outcome = processor.process(file)
                // Only after real work: an unchanged video allocates nothing worth returning, and
                // trimming walks the heap.
                if !outcome.unchanged { MemoryTuning.releaseFreedMemory() }
                if outcome.status == .stopped { onVideo(outcome); return }
                progress.finished(file.path, bytes: file.sizeBytes, failed: outcome.status == .failed, unchanged: outcome.unchanged)
                outcomes.withLock { $0.append(outcome) }
                logger.trace("video finished", metadata: ["worker": "\(worker)", "path": "\(file.path)"])
                onVideo(outcome)
            }
        }
        var summary = RunSummary()
        let all = outcomes.current.sorted { $0.path < $1.path }
        summary.videos.done = all.filter { $0.status == .done }.count
        summary.videos.failed = all.filter { $0.status == .failed }.count
        summary.videos.unchanged = all.filter(\.unchanged).count
        summary.videos.pending = files.count - all.count
        summary.interrupted = stopRequested.current || summary.videos.pending > 0
        summary.store_error = processor.storeFault.current
        summary.failures = all.compactMap { o in o.error.map { RunSummary.Failure(path: o.path, error: $0) } }
        summary.warnings = all.flatMap { o in o.warnings.map { RunSummary.Failure(path: o.path, error: $0) } }
        summary.stages = graph.stages.map { stage in
            var counts = RunSummary.StageCounts(stage: stage.name)
            for o in all {
                switch o.stages[stage.name] {
                case .done?: counts.done += 1
                case .failed?: counts.failed += 1
                case .skipped?: counts.skipped += 1
                case .reused?: counts.reused += 1
                case nil: break
                }
            }
            return counts
        }
        summary.elapsed_s = Date().timeIntervalSince(started)
        do {
            try store.finishRun(id: runID, status: summary.store_error != nil ? .failed
                                    : summary.interrupted ? .interrupted : (summary.videos.failed > 0 ? .failed : .done),
                                videosDone: summary.videos.done, videosFailed: summary.videos.failed)
        } catch {
            // With the store failing, the summary still comes out; the run row is closed by the next run.
            guard summary.store_error != nil else { throw error }
        }
        return summary
    }
}
