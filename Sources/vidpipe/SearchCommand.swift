import ArgumentParser
import Foundation
import Store

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Full-text search over transcripts and on-screen text: which video, when, and the matching words.",
        discussion: """
            QUERY uses SQLite FTS5 syntax: words (all must match, any order), "an exact phrase", prefix*, \
            OR, NOT, NEAR(word1 word2, 5). Results are best first: video, kind, time (hh:mm:ss.mmm), snippet.
            """)

    @Argument(help: "What to look for.")
    var query: String

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Only this kind of text: \(VidpipeStore.searchKinds.joined(separator: ", ")).", valueName: "kind"))
    var kind: String?

    @Option(help: "At most this many results.")
    var limit: Int = 20

    @Flag(name: .long, help: "Print a JSON array of {video_id, path, kind, start_s, end_s, text, snippet, score}, best first.")
    var json = false

    func validate() throws {
        if let kind, !VidpipeStore.searchKinds.contains(kind) {
            throw ValidationError("--kind must be one of \(VidpipeStore.searchKinds.joined(separator: ", ")) (got '\(kind)')")
        }
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let db = try openExistingStore(store.resolvedPath)
        let highlight = !json && isatty(STDOUT_FILENO) == 1
        let hits: [SearchHit]
        do {
            hits = try db.search(query, kind: kind, limit: limit, marks: highlight ? ("\u{1B}[1m", "\u{1B}[0m") : ("[", "]"))
        } catch let error as StoreError {
            printError("error: \(error)")
            throw ExitCode(1)
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
