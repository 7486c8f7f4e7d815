import Foundation

/// Renders a pipeline's DAG for `vidpipe graph`: Mermaid (paste into Markdown) or Graphviz DOT.
public enum GraphRenderer {
    public enum Format: String, CaseIterable, Sendable { case mermaid, dot }

    public static func render(_ graph: PipelineGraph, format: Format) -> String {
        switch format {
        case .mermaid: return mermaid(graph)
        case .dot: return dot(graph)
        }
    }

    static func id(_ name: String) -> String {
        "s_" + name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    /// Every edge with its label: from the media (nil) to each stage that decodes it, and from each
    /// stage to the stages reading its output kind.
    static func edges(_ graph: PipelineGraph) -> [(from: String?, to: String, label: String)] {
        var edges: [(from: String?, to: String, label: String)] = []
        for s in graph.stages {
            if s.inputKinds.isEmpty || s.media != .none { edges.append((nil, s.name, s.media.rawValue)) }
            for upstream in s.from {
                edges.append((upstream, s.name, graph.stage(named: upstream)?.outputKind.rawValue ?? ""))
            }
        }
        return edges
    }

    static func mermaid(_ graph: PipelineGraph) -> String {
        var lines = ["flowchart TD", "    media[(\"media: \(graph.config.name)\")]"]
        for s in graph.stages {
            lines.append("    \(id(s.name))[\"\(s.name)<br/>\(s.typeName) → \(s.outputKind.rawValue)\"]")
        }
        for edge in edges(graph) {
            lines.append("    \(edge.from.map(id) ?? "media") -->|\(edge.label)| \(id(edge.to))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func dot(_ graph: PipelineGraph) -> String {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var lines = ["digraph \(quoted(graph.config.name)) {", "    rankdir=TB;",
                     "    media [shape=cylinder, label=\(quoted("media"))];"]
        for s in graph.stages {
            lines.append("    \(id(s.name)) [shape=box, label=\(quoted("\(s.name)\n\(s.typeName) → \(s.outputKind.rawValue)"))];")
        }
        for edge in edges(graph) {
            lines.append("    \(edge.from.map(id) ?? "media") -> \(id(edge.to)) [label=\(quoted(edge.label))];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}
