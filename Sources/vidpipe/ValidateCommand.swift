import ArgumentParser
import Foundation
import Pipeline
import Stages

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file without decoding anything: stage types, parameters, links, kinds, cycles, providers.")

    @OptionGroup var file: PipelineFile

    func run() throws {
        let graph = try file.load()
        print("\(file.pipeline): ok — pipeline '\(graph.config.name)', \(graph.stages.count) stages: "
              + graph.stages.map(\.name).joined(separator: " → "))
    }
}

/// The pipeline file a command reads (its first argument).
struct PipelineFile: ParsableArguments {
    @Argument(help: ArgumentHelp("The pipeline file.", valueName: "pipeline.yml"))
    var pipeline: String

    func load() throws -> PipelineGraph { try loadGraph(pipeline) }
}

/// Loads and validates a pipeline, printing every problem as file:line:column and exiting 1.
func loadGraph(_ path: String) throws -> PipelineGraph {
    do {
        return try PipelineGraph.load(path: path)
    } catch let errors as ConfigErrors {
        printError(errors.description)
        printError("\(errors.errors.count) error\(errors.errors.count == 1 ? "" : "s") in \(path)")
        throw ExitCode(1)
    }
}
