import ArgumentParser
import Dispatch
import ModelAPI
import Foundation
import Logging
import Pipeline
import Stages
import Store
import Workers
import Viewer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a read-only web viewer of a store: the library, each video with its captions and transcript, search.",
        discussion: """
            Opens the store read-only (it works while a run is writing, and never blocks it). Binds to \
            127.0.0.1 unless --host says otherwise. Logs one line per request to stderr; Ctrl-C or SIGTERM stops it. \
            With --pipeline, and an embed.text stage's vectors in the store, searches also match by meaning \
            (the query embedded by the same provider and model); with an embed.frames stage's vectors, the query \
            embedded by the text tower of that model also finds frames (shown with their picture).
            """)

    @OptionGroup var store: StoreOptions

    @OptionGroup var models: ModelOptions

    @Option(name: .long, help: "The address to listen on (127.0.0.1: this machine only; 0.0.0.0: every network).")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port (0: any free port, printed at start).")
    var port = 8080

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port takes 0 to 65535 (got \(port))") }
    }

    func run() throws {
        // The integrity check reads the whole file (0.7 s for 370 MB): it runs while the server starts,
        // and a damaged store stops the server with exit 1.
        let db = try openExistingStore(store.resolvedPath, checkIntegrity: false)
        DispatchQueue.global().async {
            do {
                try db.checkIntegrity()
            } catch {
                printError("error: \(error)")
                Foundation.exit(1)
            }
        }
        if !Self.isLoopback(host) {
            printError("warning: listening on \(host): the archive (file names, transcripts, the videos themselves) is visible "
                       + "to every machine that can reach this one; there is no login")
        }
        var logger = Logger(label: "vidpipe.serve")
        logger.logLevel = .info
        let (vectors, meaning) = try vectorSearch(db)
        defer { meaning?.shutdown() }
        let server = ViewerServer(store: db, logger: logger, vectors: vectors)
        let host = self.host, port = self.port
        let done = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)
        let task = Task {
            do {
                try await server.run(host: host, port: port) { bound in
                    let shown = host.contains(":") ? "[\(host)]" : host
                    printError("vidpipe serve: http://\(shown):\(bound)/ (store \(db.path)); Ctrl-C stops")
                }
            } catch {
                failure.withLock { $0 = error }
            }
            done.signal()
        }
        // Ctrl-C or SIGTERM: stop taking connections, let open requests finish, exit 0.
        let signals = StopSignals { first in
            if first { task.cancel() } else { Foundation.exit(0) }
        }
        done.wait()
        withExtendedLifetime(signals) {}
        if let error = failure.current, !(error is CancellationError) {
            printError("error: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(1)
        }
    }

    /// 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".")
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Search by meaning when --pipeline names an embed.text stage, or an embed.frames stage, whose vectors
    /// the store holds. The clients send no cache writes: the store stays read-only.
    func vectorSearch(_ db: VidpipeStore) throws -> (ViewerServer.VectorSearch?, MeaningSearch?) {
        guard let pipeline = models.pipeline else { return (nil, nil) }
        let meaning = try MeaningSearch(graph: try loadGraph(pipeline), store: db, preferred: models.provider, model: models.model,
                                        cache: nil, factory: ModelProviders.openAI)
        guard meaning.available else {
            meaning.shutdown()
            printError("warning: search by meaning is off: \(pipeline) has no embed.text or embed.frames stage whose vectors are in "
                       + "\(db.path)" + (meaning.textProblem.map { " (\($0))" } ?? ""))
            return (nil, nil)
        }
        let search = ViewerServer.VectorSearch(model: meaning.label) { query, fullText, limit in
            let ranking = meaning.rank(query, fullText: fullText, limit: limit)
            if !ranking.searched, let failure = ranking.textFailure ?? ranking.notes.first { throw SearchFailure(message: failure) }
            let notes = (ranking.textFailure.map { ["text vectors skipped: \($0)"] } ?? []) + ranking.notes
            return (ranking.hits, notes.isEmpty ? nil : notes.joined(separator: "; "))
        }
        return (search, meaning)
    }
}

/// A model server's failure during a search, as its one-line message.
struct SearchFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
