import ArgumentParser
import Foundation
import Pipeline
import Store

extension ConflictPolicy: ExpressibleByArgument {}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the stores of sharded runs (run --shard I/N --db shard-I.sqlite) into one store.",
        discussion: """
            Videos are matched by content fingerprint and get the target's ids. Per video and stage, a result \
            the target lacks (or has failed) is copied; two finished results under different stage fingerprints \
            are a conflict, settled by --on-conflict. A path that holds different content in two stores keeps \
            the video row updated last. Model calls are unioned by request hash, runs appended. Each video is \
            one transaction: a merge killed half-way and run again ends as one run through, and merging the \
            same shards again changes nothing. Progress goes to stderr, one line per shard.
            """)

    @Argument(help: ArgumentHelp("The shard stores, opened read-only and merged in this order.", valueName: "shard.sqlite"))
    var shards: [String]

    @Option(name: .long, help: ArgumentHelp("The store to merge into; created if missing.", valueName: "file"))
    var into: String

    @Option(name: .long, help: ArgumentHelp(
        "When both stores finished a stage under different fingerprints: newer (the later finished_at), keep (the target's), "
            + "or fail (a shard with a conflict is not merged; exit 1).", valueName: "newer|keep|fail"))
    var onConflict: ConflictPolicy = .newer

    @Flag(name: .long, help: "Print a JSON summary to stdout at the end.")
    var json = false

    /// Conflicts (and replaced paths) listed on stderr per shard; `--json` has them all.
    static let listed = 10

    func run() throws {
        let target = URL(fileURLWithPath: into).standardizedFileURL.path
        // Every shard is checked before anything is written.
        for shard in shards {
            do {
                try VidpipeStore.checkShard(URL(fileURLWithPath: shard).standardizedFileURL.path, target: target)
            } catch {
                printError("error: cannot merge \(Printable.line(shard)): \(Printable.line("\(error)"))")
                throw ExitCode(1)
            }
        }

        let (lock, store) = try openStoreForWriting(target, writer: "a merge", hint: "make it writable, or merge --into another file")
        defer { withExtendedLifetime(lock) {} }

        var summary = MergeSummary()
        var failure: String?
        for shard in shards {
            do {
                let report = try store.merge(shard: URL(fileURLWithPath: shard).standardizedFileURL.path, onConflict: onConflict)
                summary.add(report)
                printError("merging \(Printable.line(shard)): \(report.videos) video\(report.videos == 1 ? "" : "s"), "
                           + "\(report.conflicts.count) conflict\(report.conflicts.count == 1 ? "" : "s")")
                for conflict in report.conflicts.prefix(Self.listed) {
                    printError("  conflict \(Printable.line(conflict.path)) stage \(Printable.line(conflict.stage)): kept the "
                               + (conflict.kept == .shard ? "shard's result (finished later)" : "target's result"))
                }
                if report.conflicts.count > Self.listed {
                    printError("  … \(report.conflicts.count - Self.listed) more conflicts (--json lists each)")
                }
                for replaced in report.pathsReplaced.prefix(Self.listed) {
                    printError("  \(Printable.line(replaced.path)) holds other content in the shard: kept the "
                               + (replaced.kept == .shard ? "shard's video (updated later)" : "target's video"))
                }
                if report.pathsReplaced.count > Self.listed {
                    printError("  … \(report.pathsReplaced.count - Self.listed) more paths that hold other content (--json lists each)")
                }
            } catch MergeError.conflicts(_, let conflicts) {
                summary.conflicts += conflicts
                for conflict in conflicts.prefix(Self.listed) {
                    printError("  conflict \(Printable.line(conflict.path)) stage \(Printable.line(conflict.stage))")
                }
                if conflicts.count > Self.listed {
                    printError("  … \(conflicts.count - Self.listed) more conflicts (--json lists each)")
                }
                failure = MergeError.conflicts(shard: shard, conflicts).description
                break
            } catch {
                failure = "cannot merge \(shard): \(store.failure(error) ?? "\(error)")"
                break
            }
        }
        if failure == nil { store.close() }
        printError(failure.map { "error: \(Printable.line($0))" }
                   ?? "merged \(shards.count) shard\(shards.count == 1 ? "" : "s") into \(target): \(summary.videosAdded) videos added, "
                   + "\(summary.videosUpdated) updated, \(summary.stagesCopied) stage results copied, \(summary.conflicts.count) conflicts")
        if json {
            summary.error = failure
            try printJSON(summary)
        }
        if failure != nil { throw ExitCode(1) }
    }
}

/// `merge --json`: each shard's report and the totals.
struct MergeSummary: Encodable {
    var shards: [ShardMergeReport] = []
    var videosAdded = 0
    var videosUpdated = 0
    var stagesCopied = 0
    var conflicts: [MergeConflict] = []
    var pathsReplaced: [ReplacedPath] = []
    /// Why the merge stopped, when it did.
    var error: String?

    mutating func add(_ report: ShardMergeReport) {
        shards.append(report)
        videosAdded += report.videosAdded
        videosUpdated += report.videosUpdated
        stagesCopied += report.stagesCopied
        conflicts += report.conflicts
        pathsReplaced += report.pathsReplaced
    }

    enum CodingKeys: String, CodingKey {
        case shards, conflicts, error
        case videosAdded = "videos_added", videosUpdated = "videos_updated", stagesCopied = "stages_copied"
        case pathsReplaced = "paths_replaced"
    }
}
