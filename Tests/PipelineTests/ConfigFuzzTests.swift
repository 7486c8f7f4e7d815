import Foundation
import Pipeline
import Testing
import TestSupport

/// Pipeline files written to hurt: each is refused (or loaded) quickly, with positioned one-line errors.
@Suite("hostile pipeline files")
struct ConfigFuzzTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// What `vidpipe validate` does, in process: the loader, then the graph. Nil when the file is valid.
    static func validate(_ text: String) -> ConfigErrors? {
        do {
            _ = try PipelineGraph.build(ConfigLoader.parse(text, file: "/tmp/fuzz/p.yml", displayName: "p.yml"))
            return nil
        } catch let errors as ConfigErrors {
            return errors
        } catch {
            Issue.record("not a ConfigErrors: \(error)")
            return nil
        }
    }

    /// Validates and measures; fails when it takes longer than `limit`.
    static func timed(_ text: String, limit: Duration = .seconds(2), _ what: String) -> ConfigErrors? {
        var result: ConfigErrors?
        let elapsed = ContinuousClock().measure { result = validate(text) }
        #expect(elapsed < limit, "\(what) took \(elapsed)")
        return result
    }

    /// The promises every error keeps: a position, a message on one line, a two-line snippet without
    /// raw control characters.
    static func checkShape(_ errors: ConfigErrors, _ what: String) {
        #expect(!errors.errors.isEmpty, "\(what): ConfigErrors without errors")
        for e in errors.errors {
            #expect(e.line >= 1 && e.column >= 1, "\(what): no position: \(e)")
            #expect(!e.message.isEmpty, "\(what): empty message")
            #expect(!hasControl(e.message), "\(what): control character in message \(e.message.debugDescription)")
            #expect(!hasControl(e.hint ?? ""), "\(what): control character in hint \(String(describing: e.hint).debugDescription)")
            if let snippet = e.snippet {
                let rows = snippet.split(separator: "\n", omittingEmptySubsequences: false)
                #expect(rows.count == 2 && !rows.contains { hasControl(String($0)) },
                        "\(what): snippet is not one line and a caret: \(snippet.debugDescription)")
            }
        }
    }

    static func hasControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control || [0x2028, 0x2029].contains($0.value) }
    }

    // MARK: - the cases the fuzz campaign found

    @Test func sixteenThousandUnknownKeysAreCountedNotPrinted() throws {
        let keys = (0..<16_000).map { "      k\($0): 1" }.joined(separator: "\n")
        let text = "version: 1\nstages:\n  shots:\n    use: shots.detect\n    with:\n" + keys + "\n"
        let errors = try #require(Self.timed(text, "16,000 unknown keys"))
        #expect(errors.errors.count == 16_000)
        #expect(errors.errors[49].snippet != nil && errors.errors[49].hint != nil)
        #expect(errors.errors[50].snippet == nil && errors.errors[50].hint == nil)
        #expect(errors.errors[15_999].line == 16_005)
        let printed = errors.description.split(separator: "\n")
        #expect(printed.last == "… and 15950 more errors")
        #expect(printed.filter { $0.contains(": error: ") }.count == 50)
    }
}
