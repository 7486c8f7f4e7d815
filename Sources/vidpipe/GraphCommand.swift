import ArgumentParser
import Pipeline

extension GraphRenderer.Format: ExpressibleByArgument {}

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print a pipeline's stage graph (Mermaid by default, or Graphviz DOT).")

    @Argument(help: ArgumentHelp("The pipeline file.", valueName: "pipeline.yml"))
    var pipeline: String

    @Option(help: "Output format: mermaid or dot.")
    var format: GraphRenderer.Format = .mermaid

    func run() throws {
        print(GraphRenderer.render(try loadGraph(pipeline), format: format), terminator: "")
    }
}
