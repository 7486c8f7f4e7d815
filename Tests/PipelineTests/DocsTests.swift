import Foundation
import Stages
import Testing

/// docs/pipeline.md is the reference users read: it must name every stage type and every parameter.
@Test func pipelineReferenceCoversEveryStageAndParameter() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let doc = try String(contentsOf: root.appendingPathComponent("docs/pipeline.md"), encoding: .utf8)
    for type in StageRegistry.builtin {
        #expect(doc.contains("## `\(type.name)`"), "docs/pipeline.md has no section for \(type.name)")
        func rows<S: StageType>(_ t: S.Type) -> [ParameterDoc] { S.Parameters.documentation }
        for row in rows(type) {
            #expect(doc.contains("| `\(row.name)` |"), "docs/pipeline.md does not document \(type.name).\(row.name)")
            // The row as `vidpipe stages --markdown` prints it: type, default and meaning as the code has them.
            #expect(doc.contains(row.markdownRow + "\n"), "docs/pipeline.md has an old row for \(type.name).\(row.name): \(row.markdownRow)")
        }
    }
}
