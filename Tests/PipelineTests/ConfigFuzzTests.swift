import Foundation
import Pipeline
import Testing
import TestSupport

/// Pipeline files written to hurt: each is refused (or loaded) quickly, with positioned one-line errors.
/// Serialized: each case is timed, and on a small machine the cases would slow each other down.
@Suite("hostile pipeline files", .serialized)
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

    /// "Billion laughs": ten aliases of ten aliases…, in reason.llm's free-form `schema:`.
    static func aliasBomb(levels: Int) -> String {
        var text = """
            version: 1
            providers:
              local: { type: openai, base_url: "http://127.0.0.1:11434/v1" }
            stages:
              shots: { use: shots.detect }
              timeline: { use: timeline.fuse, from: shots }
              ask:
                use: reason.llm
                from: timeline
                provider: local
                with:
                  task: custom
                  prompt: hi
                  schema:
                    l0: &l0 [x, x, x, x, x, x, x, x, x, x]

            """
        for level in 1...levels {
            text += "        l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        return text + "        type: object\n"
    }

    @Test(arguments: [6, 7]) func aliasBombIsRefusedAtTheAnchor(levels: Int) throws {
        let text = Self.aliasBomb(levels: levels)
        #expect(text.utf8.count < 1100)
        let errors = try #require(Self.timed(text, "alias bomb of \(levels) levels"))
        Self.checkShape(errors, "alias bomb")
        #expect(errors.errors.count == 1)
        // l4 is the first value past 100,000 (1 + 10 × 11,111).
        #expect(errors.errors.first?.message == "aliases expand to more than 100000 values here")
        #expect(errors.errors.first.map { "\($0.line):\($0.column)" } == "19:13")
    }

    @Test func aliasBombAsAKeyIsRefusedBeforeParsing() throws {
        var text = "version: 1\nstages:\n  shots: { use: shots.detect }\nx:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...7 {
            text += "  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "  ? *l7\n  : 1\n"
        let errors = try #require(Self.timed(text, "alias bomb as a key"))
        #expect(errors.errors.first?.message.contains("used as a mapping key") == true)
        #expect(errors.errors.first.map { "\($0.line):\($0.column)" } == "13:3")
        // Aliases for values stay allowed.
        #expect(Self.validate("version: 1\nx: &s shots.detect\nstages:\n  shots: { use: *s }\n")?.errors.map(\.message)
                == ["unknown top-level key 'x'"])
    }

    @Test func aliasesMayNotBuildDepth() throws {
        // Each level one alias deep: few values, but 80 levels once expanded.
        var text = "version: 1\nstages:\n  shots: { use: shots.detect }\nx:\n  - &a0 [x]\n"
        for level in 1...80 { text += "  - &a\(level) [*a\(level - 1)]\n" }
        let errors = try #require(Self.timed(text, "depth through aliases"))
        #expect(errors.errors.first?.message == "lists and mappings nest more than 64 levels deep once aliases are expanded")
    }

    @Test func fileOverOneMebibyteIsRefused() throws {
        let text = "version: 1\nstages:\n  shots: { use: shots.detect }\n# " + String(repeating: "x", count: 1 << 20) + "\n"
        let errors = try #require(Self.timed(text, "a large file"))
        #expect(errors.errors.map(\.message) == ["the pipeline file is larger than 1 MiB, the most a pipeline file may be"])
        #expect(errors.errors.first?.line == 1)
        // load() reads no more than the limit and one byte.
        let tmp = try TemporaryDirectory()
        try text.write(toFile: tmp.path("big.yml"), atomically: true, encoding: .utf8)
        #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: tmp.path("big.yml")) }
    }

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

    /// s1 reads from s2, s2 from s3, … : each stage is ready only after everything declared after it.
    static func reversedChain(_ count: Int) -> String {
        "version: 1\nstages:\n"
            + (1..<count).map { "  s\($0): { use: frames.keyframes, from: s\($0 + 1) }\n" }.joined()
            + "  s\(count): { use: shots.detect }\n"
    }

    @Test func aThousandStagesDeclaredInReverseAreOrderedQuickly() throws {
        // As many as a pipeline may have; placing them one by one by scanning took minutes.
        let errors = try #require(Self.timed(Self.reversedChain(1000), "1,000 stages in reverse"))
        // The chain is ordered (no cycle); what is left are the kind errors of keyframes reading keyframes.
        #expect(!errors.errors.contains { $0.message.contains("cycle") })
        #expect(errors.errors.count == 998)
        #expect(errors.errors.allSatisfy { $0.message.contains("needs shots, but") })
    }

    @Test func orderKeepsTheFileOrderAmongReadyStages() throws {
        // Declared downstream first; each stage goes as soon as its upstreams have, earliest declared first.
        let graph = try PipelineGraph.build(ConfigLoader.parse("""
            version: 1
            stages:
              captions: { use: captions.export, from: speech }
              keyframes: { use: frames.keyframes, from: shots }
              speech: { use: speech.transcribe, from: segments }
              frames: { use: frames.sample }
              segments: { use: audio.segments }
              shots: { use: shots.detect }
              timeline: { use: timeline.fuse, from: [shots, keyframes, speech] }
            """, file: "/tmp/p.yml"))
        #expect(graph.stages.map(\.name) == ["frames", "segments", "speech", "captions", "shots", "keyframes", "timeline"])
    }

    @Test func longCycleIsReportedWithItsMembersInOrder() throws {
        // A chain that closes on itself, declared out of order, with a stage hanging below it.
        let errors = try #require(Self.validate("""
            version: 1
            stages:
              below: { use: frames.keyframes, from: c }
              c: { use: frames.keyframes, from: b }
              a: { use: frames.keyframes, from: c }
              b: { use: frames.keyframes, from: a }
            """))
        let cycle = try #require(errors.errors.first { $0.message.contains("cycle") })
        #expect(cycle.message == "stages form a cycle: c → a → b → c")
        #expect(cycle.line == 4)
    }

    @Test func fiveThousandStagesAreRefusedAtTheFirstOneTooMany() throws {
        let text = "version: 1\nstages:\n" + (0..<5000).map { "  s\($0): { use: shots.detect, with: { threshold: \(20 + $0 % 10) } }\n" }.joined()
        let errors = try #require(Self.timed(text, "5,000 stages"))
        #expect(errors.errors.map(\.message) == ["a pipeline may have at most 1000 stages (this one has 5000)"])
        #expect(errors.errors.first.map { "\($0.line):\($0.column)" } == "1003:3")
    }

    @Test func aThousandStagesStillLoad() throws {
        let text = "version: 1\nstages:\n  shots: { use: shots.detect }\n"
            + (1..<1000).map { "  k\($0): { use: frames.keyframes, from: shots, with: { candidates: \(1 + $0 % 5) } }\n" }.joined()
        #expect(Self.timed(text, limit: .seconds(5), "1,000 valid stages") == nil)
    }

    @Test(arguments: [
        ("flow", "version: 1\nstages:\n  shots: { use: shots.detect, with: { x: " + String(repeating: "[", count: 10_000) + " } }\n"),
        ("flow, closed", "version: 1\nx: " + String(repeating: "[", count: 900) + String(repeating: "]", count: 900) + "\nstages: {}\n"),
        ("block", "version: 1\nstages: {}\nx:\n" + (0..<1100).map { String(repeating: " ", count: $0 + 1) + "- \n" }.joined()),
        ("schema", "version: 1\nstages:\n  a: { use: reason.llm, with: { schema: " + String(repeating: "{a: ", count: 200)
            + String(repeating: "}", count: 200) + " } }\n"),
    ])
    func deepNestingIsRefused(name: String, text: String) throws {
        let errors = try #require(Self.timed(text, "deep nesting (\(name))"))
        Self.checkShape(errors, name)
        #expect(errors.errors.first?.message.hasPrefix("lists and mappings nest more than 64 levels deep") == true,
                "\(name): \(errors.errors.first?.message ?? "")")
    }

    // MARK: - the mutation fuzzer

    static let seed: UInt64 = 0x5EED_0014
    static let mutantCount = 300

    static let hostileValues = [
        "{ a: 1, b: [2, 3] }", "[1, 2, 3]", "[]", "{}", "~", "\"\"", "1e400", "-1e400", "99999999999999999999999", "-5", "0x7fffffffffffffff",
        ".nan", "\u{1}\u{1B}[31mred\u{7}", "\"\\u0000\"", "&a [*a]", "*nowhere", "!!binary aGk=", "|\n  text", "? [a]\n", "'unclosed",
        "\"unclosed", "true", "no", "2 fortnights", "\u{202E}txt.exe", "\t", "\r", "\u{2028}", "::", "- - -",
        String(repeating: "[", count: 10_000), String(repeating: "x", count: 5000),
    ]

    static func aliasBombText(_ rng: inout SeededRandom) -> String {
        let fan = 2 + rng.below(15)
        var text = "&b0 [" + Array(repeating: "x", count: fan).joined(separator: ", ") + "]"
        var defs = ["b0: " + text]
        for level in 1...(3 + rng.below(8)) {
            text = "&b\(level) [" + Array(repeating: "*b\(level - 1)", count: fan).joined(separator: ", ") + "]"
            defs.append("b\(level): " + text)
        }
        return "{ " + defs.joined(separator: ", ") + " }"
    }

    /// One mutant of `source`: a few random edits of the kinds a fuzzer (or a bad merge) makes.
    static func mutate(_ source: String, _ rng: inout SeededRandom) -> String {
        var lines = source.components(separatedBy: "\n")
        for _ in 0...rng.below(3) {
            let i = rng.below(lines.count)
            switch rng.below(13) {
            case 0:  // flip bytes
                var bytes = Array(lines[i].utf8)
                for _ in 0...rng.below(4) where !bytes.isEmpty {
                    bytes[rng.below(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                }
                lines[i] = String(decoding: bytes, as: UTF8.self)
            case 1: lines.remove(at: i)
            case 2: lines.insert(lines[i], at: i)
            case 3:  // re-indent
                let body = lines[i].drop { $0 == " " }
                lines[i] = String(repeating: rng.pick([" ", "\t"]), count: rng.below(9)) + body
            case 4:  // swap two lines' indentation
                let j = rng.below(lines.count)
                let (a, b) = (lines[i].prefix { $0 == " " }, lines[j].prefix { $0 == " " })
                (lines[i], lines[j]) = (String(b + lines[i].dropFirst(a.count)), String(a + lines[j].dropFirst(b.count)))
            case 5:  // rename a key
                if let colon = lines[i].firstIndex(of: ":") {
                    let indent = lines[i].prefix { $0 == " " }
                    let name = rng.pick(["use", "from", "with", "stages", "x", "", "threshold", "schema", "<<", "? a", "\u{0}"])
                    lines[i] = String(indent) + name + lines[i][colon...]
                }
            case 6:  // replace a value
                if let colon = lines[i].range(of: ": ") {
                    lines[i] = String(lines[i][..<colon.upperBound]) + rng.pick(hostileValues)
                }
            case 7:  // truncate the file
                let kept = lines.joined(separator: "\n").utf8.prefix(rng.below(source.utf8.count + 1))
                lines = String(decoding: Array(kept), as: UTF8.self).components(separatedBy: "\n")
            case 8:  // an alias bomb as a value
                if let colon = lines[i].range(of: ": ") { lines[i] = String(lines[i][..<colon.upperBound]) + aliasBombText(&rng) }
            case 9:  // deep nesting, flow or block
                if rng.below(2) == 0 {
                    lines.insert("x: " + String(repeating: rng.pick(["[", "{a: ", "[{a: "]), count: 1 + rng.below(12_000)), at: i)
                } else {
                    lines.insert(contentsOf: (0..<rng.below(1500)).map { String(repeating: " ", count: $0) + "- " }, at: i)
                }
            case 10:  // control characters and line breaks libyaml counts
                var line = Array(lines[i].unicodeScalars)
                line.insert(rng.pick(["\u{0}", "\u{1}", "\u{8}", "\u{1B}", "\r", "\u{85}", "\u{2028}", "\u{FEFF}", "\u{7F}", "\t"]),
                            at: rng.below(line.count + 1))
                lines[i] = String(String.UnicodeScalarView(line))
            case 11:  // a duplicate key
                lines.insert(lines[i], at: min(lines.count, i + 1 + rng.below(3)))
            default:  // CRLF line ends
                return lines.joined(separator: "\r\n")
            }
            if lines.isEmpty { lines = [""] }
        }
        return lines.joined(separator: "\n")
    }

    @Test func mutatedPipelinesLoadOrFailWithPositionedOneLineErrors() throws {
        let folder = Self.packageRoot.appendingPathComponent("pipelines")
        let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yml") }.sorted()
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
        #expect(sources.count >= 3)
        var loaded = 0
        let clock = ContinuousClock()
        let total = clock.measure {
            for index in 0..<Self.mutantCount {
                var rng = SeededRandom(seed: Self.seed &+ UInt64(index))
                let mutant = Self.mutate(rng.pick(sources), &rng)
                var errors: ConfigErrors?
                let elapsed = clock.measure { errors = Self.validate(mutant) }
                #expect(elapsed < .seconds(2), "mutant \(index) (seed \(Self.seed) + \(index)) took \(elapsed)")
                if let errors { Self.checkShape(errors, "mutant \(index)") } else { loaded += 1 }
            }
        }
        // Some mutants stay valid (a flipped comment, a duplicated blank line); most do not.
        #expect(loaded > 0 && loaded < Self.mutantCount, "\(loaded) of \(Self.mutantCount) mutants loaded")
        #expect(total < .seconds(20), "\(Self.mutantCount) mutants took \(total)")
    }

    // MARK: - the same, as a user runs it

    @Test func validateCommandRefusesTheFuzzCasesQuickly() throws {
        let tmp = try TemporaryDirectory()
        let cases: [(String, String, String)] = [
            ("bomb.yml", Self.aliasBomb(levels: 7), "bomb.yml:19:13: error: aliases expand to more than 100000 values here"),
            ("keys.yml", "version: 1\nstages:\n  shots:\n    use: shots.detect\n    with:\n"
                + (0..<16_000).map { "      k\($0): 1\n" }.joined(), "… and 15950 more errors\n16000 errors in"),
            ("reversed.yml", Self.reversedChain(1000), "998 errors in"),
            ("reversed-2000.yml", Self.reversedChain(2000), "reversed-2000.yml:1003:3: error: a pipeline may have at most 1000 stages"),
            ("many.yml", "version: 1\nstages:\n" + (0..<5000).map { "  s\($0): { use: shots.detect }\n" }.joined(),
             "many.yml:1003:3: error: a pipeline may have at most 1000 stages (this one has 5000)"),
        ]
        for (name, text, expected) in cases {
            try text.write(toFile: tmp.path(name), atomically: true, encoding: .utf8)
            var result: ProcessOutput?
            let elapsed = try ContinuousClock().measure { result = try CLITests.vidpipe(["validate", tmp.path(name)]) }
            #expect(result?.status == 1, "\(name): \(result?.stderr.suffix(300) ?? "")")
            #expect(result?.stderr.contains(expected) == true, "\(name): \(result?.stderr.suffix(300) ?? "")")
            #expect(elapsed < .seconds(3), "vidpipe validate \(name) took \(elapsed)")
        }
    }
}
