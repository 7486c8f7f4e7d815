import ArgumentParser
import Foundation
import ModelAPI
import Pipeline
import Stages
import Store

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search transcripts, on-screen text, captions and reasoning: which video, when, and the matching words.",
        discussion: """
            QUERY uses SQLite FTS5 syntax: words (all must match, any order), "an exact phrase", prefix*, \
            OR, NOT, NEAR(word1 word2, 5). Results are best first: video, kind, time (hh:mm:ss.mmm), snippet. \
            With --pipeline, and embeddings in the store (an embed.text stage), the query is also embedded with \
            the same model and vector hits are merged in; with an embed.frames stage, the query is also embedded by \
            the text tower of the frame stage's model (same provider, same model, same dimension) and matching frames \
            are merged in as kind `frame`. --semantic ranks by vector similarity alone.
            """)

    @Argument(help: "What to look for.")
    var query: String

    @OptionGroup var store: StoreOptions

    @OptionGroup var models: ModelOptions

    @Flag(name: .long, help: "Rank moments by embedding similarity to the query (needs --pipeline and the vectors of an embed.text or embed.frames stage).")
    var semantic = false

    @Option(help: ArgumentHelp("Only this kind of text: \(VidpipeStore.searchKinds.map(\.rawValue).joined(separator: ", ")).", valueName: "kind"))
    var kind: TextKind?

    @Option(help: "At most this many results.")
    var limit: Int = 20

    @Flag(name: .long, help: "Print a JSON array of {video_id, path, kind, start_s, end_s, text, snippet, score}, best first.")
    var json = false

    func validate() throws {
        if let kind, !VidpipeStore.searchKinds.contains(kind) {
            throw ValidationError("--kind must be one of \(VidpipeStore.searchKinds.map(\.rawValue).joined(separator: ", ")) (got '\(kind.rawValue)')")
        }
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        if semantic && models.pipeline == nil {
            throw ValidationError("--semantic needs --pipeline FILE: the pipeline whose embed.text or embed.frames stage and provider made the vectors")
        }
    }

    /// The store: --db, else the pipeline's `store:`, else $VIDPIPE_DB / ./vidpipe.sqlite.
    func storePath(_ graph: PipelineGraph?) -> String {
        if store.db == nil, let configured = graph?.config.store { return configured }
        return store.resolvedPath
    }

    func run() throws {
        let graph = try models.pipeline.map(loadGraph)
        let db = try openExistingStore(storePath(graph), cache: graph != nil)
        let highlight = !json && isatty(STDOUT_FILENO) == 1
        var hits: [SearchHit] = []
        if !semantic {
            do {
                hits = try db.search(query, kind: kind, limit: limit, marks: highlight ? ("\u{1B}[1m", "\u{1B}[0m") : ("[", "]"))
            } catch let error as StoreError {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
        if let graph {
            let meaning = try MeaningSearch(graph: graph, store: db, preferred: models.provider, model: models.model, cache: db,
                                            factory: ModelProviders.openAI)
            defer { meaning.shutdown() }
            let ranking = meaning.rank(query, fullText: semantic ? nil : hits, kind: kind, limit: limit)
            for note in ranking.notes { printError("note: \(note)") }
            if semantic && !ranking.searched {
                printError("error: \(ranking.textFailure ?? meaning.textProblem ?? "no embeddings to search in \(db.path)")"
                           + "\n  hint: add an embed.text stage (provider + model), or an embed.frames stage with an "
                           + "image-and-text model, to the pipeline and run it")
                throw ExitCode(1)
            }
            if !semantic, let failure = ranking.textFailure { printError("warning: full-text results only: \(failure)") }
            hits = ranking.hits
        }
        if json {
            try printJSON(hits)
            return
        }
        if hits.isEmpty {
            printError("no match for '\(query)' in \(db.path)")
            return
        }
        for hit in hits {
            let snippet = hit.snippet.replacingOccurrences(of: "\n", with: " ")
            print("\(hit.path)  \(hit.kind)  \(Self.clock(hit.start_s))  \(snippet)")
        }
    }

    /// hh:mm:ss.mmm
    static func clock(_ seconds: Double) -> String {
        let ms = Int((max(0, seconds) * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }
}

extension TextKind: ExpressibleByArgument {}
