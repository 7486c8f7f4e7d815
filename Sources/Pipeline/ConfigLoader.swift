import Foundation
import Stages
import Yams

/// Reads a pipeline file into a `PipelineConfig`, reporting every shape problem with its position.
public struct ConfigLoader {
    let file: String
    let source: String
    /// The source cut into lines, once, when the first error needs a snippet.
    let lines: SourceLines
    private var errors: [ConfigError] = []

    public static func load(path: String) throws -> PipelineConfig {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: absolute))
        } catch {
            let reason: String, hint: String
            if !FileManager.default.fileExists(atPath: absolute) {
                (reason, hint) = ("no such file", "check the path; it must be a YAML file such as pipelines/archive.yml")
            } else if !FileManager.default.isReadableFile(atPath: absolute) {
                (reason, hint) = ("permission denied", "make it readable by the user running vidpipe")
            } else {
                (reason, hint) = ("not a readable file", "it must be a YAML file such as pipelines/archive.yml")
            }
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: "cannot read the pipeline file: \(reason)",
                                            hint: hint)])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: absolute, displayName: path)
    }

    public static func parse(_ text: String, file: String, displayName: String? = nil) throws -> PipelineConfig {
        // A UTF-8 byte-order mark (editors on Windows add one) is not YAML content.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var loader = ConfigLoader(file: displayName ?? file, source: text)
        let config = loader.read(absoluteFile: file)
        if !loader.errors.isEmpty { throw ConfigErrors(loader.errors) }
        return config!
    }

    init(file: String, source: String) {
        self.file = file
        self.source = source
        self.lines = SourceLines(source)
    }

    // MARK: - errors

    func position(_ node: Node?) -> SourcePosition {
        guard let mark = node?.mark else { return SourcePosition(line: 1, column: 1) }
        return SourcePosition(line: max(1, mark.line), column: max(1, mark.column))
    }

    func snippet(line: Int, column: Int) -> String? {
        lines.snippet(line: line, column: column)
    }

    mutating func fail(_ node: Node?, _ message: String, hint: @autoclosure () -> String? = nil) {
        fail(at: position(node), message, hint: hint())
    }

    mutating func fail(at p: SourcePosition, _ message: String, hint: @autoclosure () -> String? = nil) {
        errors.append(configError(p, message, hint: hint(), detailed: errors.count < PipelineLimits.printedErrors))
    }

    /// An error at `p`, its message and hint on one line with control characters escaped. Past the
    /// errors printed in full (`detailed` false) the hint is not worked out and no snippet is cut.
    func configError(_ p: SourcePosition, _ message: String, hint: @autoclosure () -> String? = nil,
                     detailed: Bool = true) -> ConfigError {
        let line = max(1, p.line), column = max(1, p.column)
        return ConfigError(file: file, line: line, column: column, message: ShownText.escaped(message, limit: 500),
                           hint: detailed ? hint().map { ShownText.escaped($0, limit: 500) } : nil,
                           snippet: detailed ? snippet(line: line, column: column) : nil)
    }

    // MARK: - reading

    static let topLevelKeys = ["version", "name", "store", "inputs", "extensions", "providers", "stages"]
    static let stageKeys = ["use", "from", "with", "provider"]
    static let providerKeys = ["type", "base_url", "api_key_env", "max_concurrency", "timeout", "model", "retries"]

    private mutating func read(absoluteFile: String) -> PipelineConfig? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: source)
        } catch let error as YamlError {
            errors.append(yamlSyntaxError(error))
            return nil
        } catch {
            fail(at: SourcePosition(line: 1, column: 1), "cannot parse YAML: \(error)")
            return nil
        }
        guard let root, let top = root.mapping else {
            fail(root, "a pipeline file must be a YAML mapping with `version`, `name` and `stages`",
                 hint: "see pipelines/archive.yml for a complete example")
            return nil
        }
        for (key, _) in top {
            let k = key.string ?? ""
            if !Self.topLevelKeys.contains(k) {
                fail(key, "unknown top-level key '\(k)'",
                     hint: Self.didYouMean(k, Self.topLevelKeys) + "valid keys: \(Self.topLevelKeys.joined(separator: ", "))")
            }
        }
        var version = 1
        if let v = top["version"] {
            if let n = v.int, n == 1 { version = n } else {
                fail(v, "unsupported pipeline version '\(v.string ?? "")'", hint: "this vidpipe reads `version: 1`")
            }
        }
        let name = scalarString(top["name"], key: "name") ?? ((absoluteFile as NSString).lastPathComponent as NSString).deletingPathExtension
        let base = (absoluteFile as NSString).deletingLastPathComponent
        var store: String?
        if let s = scalarString(top["store"], key: "store") {
            store = s.hasPrefix("/") ? s : URL(fileURLWithPath: base).appendingPathComponent(s).standardizedFileURL.path
        }
        let inputs = stringList(top["inputs"], key: "inputs")
        var extensions = PipelineConfig.defaultExtensions
        if top["extensions"] != nil {
            extensions = stringList(top["extensions"], key: "extensions").map {
                $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". "))
            }
        }
        let providers = readProviders(top["providers"])
        var stages: [StageConfig] = []
        if let stagesNode = top["stages"] {
            stages = readStages(stagesNode)
        } else {
            fail(root, "the pipeline has no `stages:`", hint: "add at least one stage, e.g. `shots: { use: shots.detect }`")
        }
        return PipelineConfig(file: absoluteFile, displayName: file, source: source, version: version, name: name, store: store,
                              inputs: inputs, extensions: extensions, providers: providers, stages: stages)
    }

    private static func didYouMean(_ word: String, _ candidates: [String]) -> String {
        closestMatch(to: word, in: candidates).map { "did you mean '\($0)'? " } ?? ""
    }

    private mutating func scalarString(_ node: Node?, key: String) -> String? {
        guard let node else { return nil }
        guard let s = node.scalar?.string else {
            fail(node, "`\(key)` must be a string")
            return nil
        }
        return s
    }

    private mutating func stringList(_ node: Node?, key: String) -> [String] {
        guard let node else { return [] }
        if let s = node.scalar?.string { return [s] }
        guard let seq = node.sequence else {
            fail(node, "`\(key)` must be a string or a list of strings")
            return []
        }
        var out: [String] = []
        for item in seq {
            if let s = item.scalar?.string { out.append(s) } else { fail(item, "`\(key)` entries must be strings") }
        }
        return out
    }

    private mutating func readProviders(_ node: Node?) -> [String: ProviderConfig] {
        guard let node else { return [:] }
        guard let map = node.mapping else {
            fail(node, "`providers` must be a mapping of provider names to settings")
            return [:]
        }
        var out: [String: ProviderConfig] = [:]
        for (key, value) in map {
            let name = key.string ?? ""
            guard let settings = value.mapping else {
                fail(value, "provider '\(name)' must be a mapping", hint: "e.g. `{ type: openai, base_url: http://127.0.0.1:11434/v1 }`")
                continue
            }
            for (k, _) in settings where !Self.providerKeys.contains(k.string ?? "") {
                fail(k, "unknown provider key '\(k.string ?? "")'",
                     hint: Self.didYouMean(k.string ?? "", Self.providerKeys) + "valid keys: \(Self.providerKeys.joined(separator: ", "))")
            }
            let type = scalarString(settings["type"], key: "type") ?? "openai"
            if type != "openai" {
                fail(settings["type"], "unknown provider type '\(type)'", hint: "supported: openai (any OpenAI-compatible server)")
            }
            var maxConcurrency = 4
            if let mc = settings["max_concurrency"] {
                if let n = mc.int, n >= 1 { maxConcurrency = n } else { fail(mc, "`max_concurrency` must be a whole number ≥ 1") }
            }
            var timeout = 120.0
            if let t = settings["timeout"] {
                if let v = t.scalar.flatMap({ Seconds.parse($0.string) }), v > 0 { timeout = v } else {
                    fail(t, "`timeout` must be a duration such as 30s or 2m")
                }
            }
            var retries = 3
            if let r = settings["retries"] {
                if let n = r.int, (0...10).contains(n) { retries = n } else { fail(r, "`retries` must be a whole number from 0 to 10") }
            }
            let baseURL = scalarString(settings["base_url"], key: "base_url")
            if baseURL == nil {
                fail(value, "provider '\(name)' has no `base_url`",
                     hint: "e.g. http://127.0.0.1:11434/v1 (Ollama), http://127.0.0.1:8000/v1 (vLLM), https://api.openai.com/v1")
            } else if let url = baseURL, URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true
                        || URL(string: url)?.host == nil {
                fail(settings["base_url"], "`base_url` '\(url)' is not an http(s) URL", hint: "e.g. http://127.0.0.1:11434/v1")
            }
            if let keyNode = settings["api_key_env"], let env = keyNode.string,
               env.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) == nil {
                fail(keyNode, "`api_key_env` names an environment variable, not a key",
                     hint: "e.g. api_key_env: OPENAI_API_KEY, then export OPENAI_API_KEY=... before running; the key never goes in the file")
            }
            out[name] = ProviderConfig(name: name, type: type, baseURL: baseURL, model: scalarString(settings["model"], key: "model"),
                                       apiKeyEnv: settings["api_key_env"]?.string, maxConcurrency: maxConcurrency,
                                       timeout: timeout, retries: retries, position: position(key))
        }
        return out
    }

    private mutating func readStages(_ node: Node) -> [StageConfig] {
        guard let map = node.mapping else {
            fail(node, "`stages` must be a mapping of stage names to `{ use: TYPE, ... }`",
                 hint: "e.g. `stages:\\n  shots: { use: shots.detect }`")
            return []
        }
        var out: [StageConfig] = []
        var seen = Set<String>()
        for (key, value) in map {
            let name = key.string ?? ""
            if name.isEmpty || name.contains(where: { $0.isWhitespace }) {
                fail(key, "stage names must be non-empty words without spaces")
            }
            if !seen.insert(name).inserted { fail(key, "stage '\(name)' is defined twice") }
            guard let entry = value.mapping else {
                fail(value, "stage '\(name)' must be a mapping with `use:`", hint: "e.g. `\(name): { use: shots.detect }`")
                continue
            }
            for (k, _) in entry where !Self.stageKeys.contains(k.string ?? "") {
                fail(k, "unknown key '\(k.string ?? "")' in stage '\(name)'",
                     hint: Self.didYouMean(k.string ?? "", Self.stageKeys) + "a stage has `use`, `from`, `with` and `provider`; parameters go under `with:`")
            }
            guard let useNode = entry["use"], let use = useNode.scalar?.string else {
                fail(value, "stage '\(name)' has no `use:`", hint: "name a stage type, e.g. `use: shots.detect`")
                continue
            }
            var from: [String] = []
            var fromPositions: [SourcePosition] = []
            if let f = entry["from"] {
                if let s = f.scalar?.string {
                    from = [s]
                    fromPositions = [position(f)]
                } else if let seq = f.sequence {
                    for item in seq {
                        if let s = item.scalar?.string {
                            from.append(s)
                            fromPositions.append(position(item))
                        } else { fail(item, "`from` entries must be stage names") }
                    }
                } else { fail(f, "`from` must be a stage name or a list of stage names") }
            }
            if let w = entry["with"], w.mapping == nil, !(w.scalar?.string.isEmpty ?? false) {
                fail(w, "`with` must be a mapping of parameters", hint: "e.g. `with: { threshold: 27 }`")
            }
            let providerNode = entry["provider"]
            out.append(StageConfig(name: name, use: use, from: from, provider: providerNode?.string,
                                   with: entry["with"]?.mapping != nil ? entry["with"] : nil,
                                   position: position(key), usePosition: position(useNode),
                                   fromPositions: fromPositions, providerPosition: providerNode.map { position($0) }))
        }
        return out
    }

    private func yamlSyntaxError(_ error: YamlError) -> ConfigError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let message = "YAML syntax: " + problem + (context.map { " (\($0.text))" } ?? "")
            return configError(SourcePosition(line: mark.line, column: mark.column), message,
                               hint: "check indentation and that every `{`/`[` is closed")
        case let .duplicatedKeysInMapping(duplicates, context):
            return configError(SourcePosition(line: context.mark.line, column: context.mark.column),
                               "duplicate key(s) \(duplicates.joined(separator: ", "))")
        default:
            return configError(SourcePosition(line: 1, column: 1), "YAML: \(error)")
        }
    }
}
