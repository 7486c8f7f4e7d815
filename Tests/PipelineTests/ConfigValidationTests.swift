import Foundation
import Pipeline
import Testing

@Suite("pipeline file validation")
struct ConfigValidationTests {
    func errors(_ yaml: String) -> [ConfigError] {
        do {
            _ = try PipelineGraph.build(ConfigLoader.parse(yaml, file: "/tmp/p.yml", displayName: "p.yml"))
            return []
        } catch let e as ConfigErrors {
            return e.errors
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func validPipelineBuildsInTopologicalOrder() throws {
        let graph = try PipelineGraph.build(ConfigLoader.parse("""
            version: 1
            name: t
            stages:
              keyframes: { use: frames.keyframes, from: shots }
              shots: { use: shots.detect, with: { threshold: 30, min_length: 500ms } }
              segments: { use: audio.segments }
            """, file: "/tmp/p.yml"))
        #expect(graph.stages.map(\.name) == ["shots", "keyframes", "segments"])
        #expect(graph.stage(named: "shots")?.parametersJSON.contains("\"threshold\":30") == true)
        #expect(graph.stage(named: "shots")?.parametersJSON.contains("\"min_length\":0.5") == true)
    }

    @Test func unknownStageTypeHasPositionAndSuggestion() {
        let e = errors("""
            version: 1
            stages:
              shots: { use: shots.detcet }
            """)
        #expect(e.count == 1)
        #expect(e.first?.line == 3)
        #expect(e.first?.column == 17)
        #expect(e.first?.message.contains("unknown stage type 'shots.detcet'") == true)
        #expect(e.first?.hint?.contains("did you mean 'shots.detect'") == true)
        #expect(e.first?.description.hasPrefix("p.yml:3:17: error:") == true)
    }

    @Test func unknownParameterNamesValidKeys() {
        let e = errors("""
            version: 1
            stages:
              shots:
                use: shots.detect
                with:
                  treshold: 20
            """)
        #expect(e.count == 1)
        #expect(e.first?.line == 6)
        #expect(e.first?.column == 7)
        #expect(e.first?.message.contains("unknown parameter 'treshold'") == true)
        #expect(e.first?.hint?.contains("did you mean 'threshold'") == true)
    }

    @Test func wrongParameterTypePointsAtTheValue() {
        let e = errors("""
            version: 1
            stages:
              shots:
                use: shots.detect
                with: { threshold: lots }
            """)
        #expect(e.count == 1)
        #expect(e.first?.line == 5)
        #expect(e.first?.column == 24)
        #expect(e.first?.message.contains("'threshold'") == true)
    }

    @Test func badDurationIsReported() {
        let e = errors("""
            version: 1
            stages:
              shots: { use: shots.detect, with: { min_length: 2 fortnights } }
            """)
        #expect(e.count == 1)
        #expect(e.first?.line == 3)
        #expect(e.first?.message.contains("min_length") == true)
    }

    @Test func missingUpstreamAndKindMismatch() {
        let e = errors("""
            version: 1
            stages:
              segments: { use: audio.segments }
              keyframes: { use: frames.keyframes, from: segments }
              more: { use: frames.keyframes, from: shotz }
            """)
        #expect(e.contains { $0.line == 4 && $0.message.contains("needs shots, but 'segments' (audio.segments) yields audio_segments") })
        #expect(e.contains { $0.line == 5 && $0.message.contains("'shotz', which is not a stage") })
    }

    @Test func cycleIsAnError() {
        let e = errors("""
            version: 1
            stages:
              a: { use: frames.keyframes, from: b }
              b: { use: frames.keyframes, from: a }
            """)
        #expect(e.contains { $0.message.contains("cycle") })
    }

    @Test func missingProviderIsAnError() {
        let e = errors("""
            version: 1
            providers:
              local: { type: openai, base_url: "http://127.0.0.1:11434/v1" }
            stages:
              shots: { use: shots.detect, provider: remote }
            """)
        #expect(e.count == 1)
        #expect(e.first?.line == 5)
        #expect(e.first?.message.contains("provider 'remote'") == true)
        #expect(e.first?.hint?.contains("local") == true)
    }

    @Test func yamlSyntaxErrorCarriesLineAndColumn() {
        let e = errors("""
            version: 1
            stages:
              shots: { use: shots.detect
              frames: { use: frames.sample }
            """)
        #expect(e.count == 1)
        #expect((e.first?.line ?? 0) >= 3)
        #expect(e.first?.message.hasPrefix("YAML syntax") == true)
    }

    @Test func mediaStageWithFromIsAnError() {
        let e = errors("""
            version: 1
            stages:
              shots: { use: shots.detect }
              frames: { use: frames.sample, from: shots }
            """)
        #expect(e.first?.message.contains("takes no `from`") == true)
    }

    @Test func outOfRangeValueFailsValidation() {
        let e = errors("""
            version: 1
            stages:
              frames: { use: frames.sample, with: { quality: 400 } }
            """)
        #expect(e.count == 1)
        #expect(e.first?.line == 3)
        #expect(e.first?.message.contains("quality") == true)
    }

    @Test func fingerprintsChangeOnlyDownstream() throws {
        func graph(_ threshold: Int) throws -> PipelineGraph {
            try PipelineGraph.build(ConfigLoader.parse("""
                version: 1
                stages:
                  frames: { use: frames.sample }
                  shots: { use: shots.detect, with: { threshold: \(threshold) } }
                  keyframes: { use: frames.keyframes, from: shots }
                  segments: { use: audio.segments }
                """, file: "/tmp/p.yml"))
        }
        let a = try graph(27), b = try graph(30), c = try graph(27)
        let changed = a.stages.filter { s in b.stage(named: s.name)?.fingerprint != s.fingerprint }.map(\.name)
        #expect(changed == ["shots", "keyframes"])
        #expect(a.stages.map(\.fingerprint) == c.stages.map(\.fingerprint))
        #expect(a.descendants(of: "shots") == ["keyframes"])
    }

    @Test func explicitDefaultKeepsTheFingerprint() throws {
        let implicit = try PipelineGraph.build(ConfigLoader.parse("version: 1\nstages:\n  s: { use: shots.detect }\n", file: "/tmp/p.yml"))
        let explicit = try PipelineGraph.build(ConfigLoader.parse("version: 1\nstages:\n  s: { use: shots.detect, with: { threshold: 27 } }\n", file: "/tmp/p.yml"))
        #expect(implicit.stages[0].fingerprint == explicit.stages[0].fingerprint)
    }

    @Test func graphRendersMermaidAndDot() throws {
        let graph = try PipelineGraph.build(ConfigLoader.parse("""
            version: 1
            name: demo
            stages:
              shots: { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
            """, file: "/tmp/p.yml"))
        let mermaid = GraphRenderer.render(graph, format: .mermaid)
        #expect(mermaid.hasPrefix("flowchart TD"))
        #expect(mermaid.contains("s_shots -->|shots| s_keyframes"))
        let dot = GraphRenderer.render(graph, format: .dot)
        #expect(dot.contains("s_shots -> s_keyframes [label=\"shots\"];"))
        #expect(dot.hasPrefix("digraph \"demo\" {"))
    }

    /// The words a user reads for a bad value: what is wrong, the valid choices, and the key's type, default and meaning.
    @Test(arguments: [
        ("shots: { use: shots.detect, with: { mode: histogram } }", "3:45",
         "invalid value for 'mode' in stage 'shots': 'histogram' is not a valid mode; use one of: content, adaptive",
         "'mode' takes content | adaptive (default content): content: cut where the HSV score reaches threshold; adaptive: where it stands out from its neighbours"),
        ("shots: { use: shots.detect, with: { min_length: 2 fortnights } }", "3:51",
         "invalid value for 'min_length' in stage 'shots': '2 fortnights' is not a duration; write it with a unit, e.g. 500ms, 5s, 2m, 1h, or as bare seconds",
         "'min_length' takes duration (default 1s): no shot is shorter than this"),
        ("shots: { use: shots.detect, with: { threshold: lots } }", "3:50",
         "invalid value for 'threshold' in stage 'shots': must be a number, not 'lots'",
         "'threshold' takes number (default 27): content mode: score (0–255) at which a cut is placed"),
        ("shots: { use: shots.detect, with: { window: 2.5 } }", "3:47",
         "invalid value for 'window' in stage 'shots': must be a whole number, not '2.5'",
         "'window' takes integer (frames) (default 2): adaptive mode: frames on each side averaged"),
        ("captions: { use: captions.export, with: { formats: [vtt, ass] } }", "3:54",
         "invalid value for 'formats' in stage 'captions': 'ass' is not a valid format; use a list of: srt, vtt",
         "'formats' takes list of vtt, srt (default [vtt, srt]): files to write; [] writes none (the cues are still stored for `vidpipe export`)"),
        ("frames: { use: frames.sample, with: { at: [1, soon] } }", "3:49",
         "invalid value for 'at' in stage 'frames': 'soon' is not a duration; write it with a unit, e.g. 500ms, 5s, 2m, 1h, or as bare seconds",
         "'at' takes list of durations (default []): policy timestamps: the media times to sample"),
        ("speech: { use: speech.transcribe, with: { model_type: bogus, engine: sherpa } }", "3:57",
         "invalid value for 'model_type' in stage 'speech': 'bogus' is not a valid model_type; use one of: whisper, moonshine, sense_voice",
         "'model_type' takes whisper | moonshine | sense_voice (default whisper): sherpa: the kind of model in model_dir"),
        ("ocr: { use: text.ocr, with: { engine: paddle } }", "3:41",
         "invalid value for 'engine' in stage 'ocr': 'paddle' is not a valid engine; use one of: tesseract",
         "'engine' takes tesseract (default tesseract): OCR engine; tesseract is the only one for now"),
    ])
    func badParameterValueIsExplained(stage: String, position: String, message: String, hint: String) {
        let e = errors("version: 1\nstages:\n  \(stage)\n")
        #expect(e.count == 1)
        #expect(e.first.map { "\($0.line):\($0.column)" } == position)
        #expect(e.first?.message == message)
        #expect(e.first?.hint == hint)
    }

    /// A value of the wrong shape reads as one line: what the key takes and what the file has, at the value.
    @Test(arguments: [
        ("shots: { use: shots.detect, with: { threshold: { a: 1 } } }", "3:50",
         "invalid value for 'threshold' in stage 'shots': must be a number, not a mapping"),
        ("shots: { use: shots.detect, with: { mode: [content] } }", "3:45",
         "invalid value for 'mode' in stage 'shots': must be one of content, adaptive, not a list"),
        ("shots: { use: shots.detect, with: { min_length: { s: 1 } } }", "3:51",
         "invalid value for 'min_length' in stage 'shots': must be a duration, not a mapping"),
        ("frames: { use: frames.sample, with: { at: [1, { x: 2 }] } }", "3:49",
         "invalid value for 'at' in stage 'frames': item 2 must be a duration, not a mapping"),
        ("captions: { use: captions.export, with: { formats: vtt } }", "3:54",
         "invalid value for 'formats' in stage 'captions': must be a list, not 'vtt'"),
        ("shots: { use: shots.detect, with: { gradual: [] } }", "3:48",
         "invalid value for 'gradual' in stage 'shots': must be true or false, not a list"),
    ])
    func wrongShapeIsOneClearLine(stage: String, position: String, message: String) {
        let e = errors("version: 1\nstages:\n  \(stage)\n")
        #expect(e.count == 1)
        #expect(e.first.map { "\($0.line):\($0.column)" } == position)
        #expect(e.first?.message == message)
    }

    /// Binary garbage is shown escaped, and the caret stands under the character libyaml means.
    @Test func controlCharactersAreEscapedAndTheCaretIsUnderThem() {
        let e = errors("version: 1\nstages:\n  sh\u{1}ots: { use: shots.detect }\n")
        #expect(e.count == 1)
        #expect(e.first.map { "\($0.line):\($0.column)" } == "3:5")
        #expect(e.first?.message == "YAML cannot hold this character (\\u{1}): control characters are not allowed")
        #expect(e.first?.snippet == "    sh\\u{1}ots: { use: shots.detect }\n      ^")
        // A control character inside a value that YAML reads (a tab, an escaped one) is shown escaped in
        // the message, and the caret counts its escape's width.
        let tab = errors("version: 1\nstages:\n  shots: { use: \"shots\\t\\u001b[31m\", with: { x: 1 } }\n")
        #expect(tab.first?.message == "unknown stage type 'shots\\t\\u{1b}[31m' in stage 'shots'")
        let afterTab = errors("version: 1\nstages:\n  shots: {\tuse: shots.detect, with: { x: 1 } }\n")
        #expect(afterTab.first.map { "\($0.line):\($0.column)" } == "3:39")
        #expect(afterTab.first?.snippet == "    shots: {\\tuse: shots.detect, with: { x: 1 } }\n" + String(repeating: " ", count: 2 + 39) + "^")
    }

    /// libyaml counts CR, CR LF, NEL, LS and PS as line ends; the snippet is the line it means.
    @Test(arguments: ["\r\n", "\r", "\u{2028}", "\u{85}"])
    func snippetIsTheLineLibyamlCounts(lineEnd: String) {
        let e = errors(["version: 1", "stages:", "  shots: { use: shots.detcet }", ""].joined(separator: lineEnd))
        #expect(e.first.map { "\($0.line):\($0.column)" } == "3:17")
        #expect(e.first?.snippet == "  " + "  shots: { use: shots.detcet }" + "\n  " + String(repeating: " ", count: 16) + "^")
    }

    @Test func longLineSnippetIsAWindowAroundTheColumn() {
        let padding = String(repeating: " ", count: 5000)
        let e = errors("version: 1\nstages:\n  shots: { use: shots.detect,\(padding)with: { zz: 1 } }\n")
        #expect(e.first?.message.contains("'zz'") == true)
        let rows = (e.first?.snippet ?? "").split(separator: "\n").map { Array($0) }
        #expect(rows.count == 2 && rows[0].count < 130 && rows[0].starts(with: "  …"), "\(rows)")
        // The caret is under the z.
        if rows.count == 2, rows[1].count <= rows[0].count {
            #expect(rows[0][rows[1].count - 1] == "z")
        }
    }

    @Test func duplicateKeyPointsAtTheSecondDefinition() {
        let e = errors("""
            version: 1
            stages:
              shots: { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
              shots: { use: shots.detect, with: { threshold: 30 } }
            """)
        #expect(e.count == 1)
        #expect(e.first.map { "\($0.line):\($0.column)" } == "5:3")
        #expect(e.first?.message == "duplicate key 'shots' (first defined at line 3)")
        // Quoted, in a flow mapping, three times: the second one.
        let flow = errors("version: 1\nstages:\n  a: { use: shots.detect, \"use\": x, use: y }\n")
        #expect(flow.first.map { "\($0.line):\($0.column)" } == "3:27")
        #expect(flow.first?.message == "duplicate key 'use' (first defined at line 3)")
    }

    /// A value with no JSON form would leave the fingerprint nothing to hash; it is an error at its key.
    @Test func infiniteNumberInASchemaIsAnError() {
        let e = errors("""
            version: 1
            providers:
              local: { type: openai, base_url: "http://127.0.0.1:11434/v1" }
            stages:
              shots: { use: shots.detect }
              timeline: { use: timeline.fuse, from: shots }
              ask: { use: reason.llm, from: timeline, provider: local,
                     with: { task: custom, prompt: hi, schema: { type: object, maximum: .inf } } }
            """)
        #expect(e.count == 1)
        #expect(e.first.map { "\($0.line):\($0.column)" } == "8:52")
        #expect(e.first?.message == "invalid value for 'schema' in stage 'ask': it has no JSON form")
    }
}
