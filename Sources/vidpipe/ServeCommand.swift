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
            (the query embedded by the same provider and model).
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
        let (vectors, client) = try vectorSearch(db)
        defer { client?.shutdown() }
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

    /// Search by meaning when --pipeline names an embed.text stage whose vectors the store holds.
    /// The client sends no cache writes: the store stays read-only.
    func vectorSearch(_ db: VidpipeStore) throws -> (ViewerServer.VectorSearch?, (any ModelProvider)?) {
        guard let pipeline = models.pipeline else { return (nil, nil) }
        let graph = try loadGraph(pipeline)
        let stored = try db.embeddingModels()
        guard let choice = ModelChoice.choose(graph, types: [EmbedText.self], preferred: models.provider),
              let model = models.model ?? choice.model ?? stored.first, stored.contains(model) else {
            printError("warning: search by meaning is off: \(pipeline) has no embed.text stage whose vectors are in \(db.path)"
                       + (stored.isEmpty ? "" : " (stored: \(stored.joined(separator: ", ")))"))
            return (nil, nil)
        }
        let client = try ModelChoice.client(graph, name: choice.provider, store: nil, factory: ModelProviders.openAI)
        let search = ViewerServer.VectorSearch(
            model: model,
            semantic: { query, limit in
                do {
                    return try HybridSearch.semantic(query, store: db, provider: client, model: model, limit: limit)
                } catch let error as ModelProviderError {
                    throw SearchFailure(message: error.message)
                }
            },
            merge: { HybridSearch.merge($0, $1, limit: $2) })
        return (search, client)
    }
}

/// A model server's failure during a search, as its one-line message.
struct SearchFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
