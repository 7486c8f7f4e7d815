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
                      ExportCommand.self, ServeCommand.self, MergeCommand.self, SnapshotCommand.self, StagesCommand.self,
                      ModelsCommand.self]
    )

    /// ArgumentParser exits 64 on usage errors; vidpipe's contract (DESIGN.md) is 1.
    static func main() {
        MemoryTuning.limitArenas()
        do {
            var command = try parseAsRoot(DashArguments.checked(Array(CommandLine.arguments.dropFirst())))
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

/// Words that start with one `-` but are no cluster of vidpipe's short flags (`-v`, `-h`).
/// ArgumentParser would read `-leading-dash.mp4` as a cluster holding `-h` and print the help: an
/// existing file of that name is passed as `./NAME`, anything else is an unknown option.
enum DashArguments {
    static let shortFlags: Set<Character> = ["v", "h"]

    struct Unknown: CustomStringConvertible {
        var word: String
        var description: String {
            "error: unknown option '\(Printable.line(word))'; a file whose name starts with '-' is given as ./\(Printable.line(word)) "
                + "(or after --)"
        }
    }

    static func checked(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var afterSeparator = false
        for word in arguments {
            if afterSeparator || word == "--" {
                afterSeparator = true
                out.append(word)
                continue
            }
            guard word.hasPrefix("-"), !word.hasPrefix("--"), word.count > 2,
                  !word.dropFirst().allSatisfy(shortFlags.contains) else {
                out.append(word)
                continue
            }
            // A negative number is a value (e.g. a start time), not an option.
            if Double(word) != nil {
                out.append(word)
                continue
            }
            guard FileManager.default.fileExists(atPath: word) else {
                FileHandle.standardError.write(Data((Unknown(word: word).description + "\n").utf8))
                Foundation.exit(1)
            }
            out.append("./" + word)
        }
        return out
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
