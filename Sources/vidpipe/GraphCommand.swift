import ArgumentParser
import Pipeline

extension GraphRenderer.Format: ExpressibleByArgument {}

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print a pipeline's stage graph (Mermaid by default, or Graphviz DOT).")

    @OptionGroup var file: PipelineFile

    @Option(help: "Output format: mermaid or dot.")
    var format: GraphRenderer.Format = .mermaid

    func run() throws {
        print(GraphRenderer.render(try file.load(), format: format), terminator: "")
    }
}
