import ArgumentParser
import Stages

struct StagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "List the stage types a pipeline can `use`, with their inputs, output and parameters.")

    @Flag(name: .long, help: "Print Markdown tables (the stage reference in docs/pipeline.md is made with this).")
    var markdown = false

    func run() {
        for type in StageRegistry.builtin { print(describe(type), terminator: "") }
    }

    private func describe<S: StageType>(_ type: S.Type) -> String {
        let input = S.inputKinds.isEmpty ? "the media file (\(S.media.rawValue))" : "from: " + S.inputKinds.map(\.rawValue).joined(separator: " or ")
            + (S.media == .none ? "" : ", and the media file (\(S.media.rawValue))")
        let docs = S.Parameters.documentation
        if markdown {
            var text = "\n## `\(S.name)`\n\n\(S.summary)\n\nReads \(input); yields `\(S.outputKind.rawValue)`. Version \(S.version).\n\n"
            text += "| parameter | type | default | meaning |\n|---|---|---|---|\n"
            for d in docs { text += d.markdownRow + "\n" }
            return text
        }
        var text = "\(S.name) (v\(S.version)) — \(S.summary)\n  reads \(input); yields \(S.outputKind.rawValue)\n"
        let width = docs.map(\.name.count).max() ?? 0
        for d in docs {
            text += "  " + d.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(d.type), default \(d.defaultValue): \(d.summary)\n"
        }
        return text + "\n"
    }
}
