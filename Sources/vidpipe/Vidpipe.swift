import ArgumentParser
import Foundation
import Pipeline

@main
struct Vidpipe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidpipe",
        abstract: "Turn a video archive into searchable, captioned, reasoned records in one SQLite file.",
        discussion: """
            Exit codes: 0 all done; 1 usage or configuration error; 2 some inputs failed (each recorded \
            with its error); 3 interrupted or out of time budget (resumable: run again).
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, ValidateCommand.self, GraphCommand.self, StatusCommand.self, SearchCommand.self, AskCommand.self,
                      ExportCommand.self, StagesCommand.self, ModelsCommand.self]
    )

    /// ArgumentParser exits 64 on usage errors; vidpipe's contract (DESIGN.md) is 1.
    static func main() {
        MemoryTuning.limitArenas()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}

/// The store location shared by the commands that read it.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite store (default: $VIDPIPE_DB, else ./vidpipe.sqlite).", valueName: "file"))
    var db: String?

    var resolvedPath: String {
        let chosen = db ?? ProcessInfo.processInfo.environment["VIDPIPE_DB"] ?? "vidpipe.sqlite"
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }
}

/// Writes to stderr, for messages that are not results.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value))
    FileHandle.standardOutput.write(Data("\n".utf8))
}
