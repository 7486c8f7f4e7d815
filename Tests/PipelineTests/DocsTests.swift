import Foundation
import Stages
import Testing

/// docs/pipeline.md is the reference users read: it must name every stage type and every parameter.
@Test func pipelineReferenceCoversEveryStageAndParameter() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let doc = try String(contentsOf: root.appendingPathComponent("docs/pipeline.md"), encoding: .utf8)
    for type in StageRegistry.builtin {
        #expect(doc.contains("## `\(type.name)`"), "docs/pipeline.md has no section for \(type.name)")
        func names<S: StageType>(_ t: S.Type) -> [String] { S.Parameters.documentation.map(\.name) }
        for name in names(type) {
            #expect(doc.contains("| `\(name)` |"), "docs/pipeline.md does not document \(type.name).\(name)")
        }
    }
}
