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
            // One byte past the limit is enough to know the file is too large (and /dev/zero ends).
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: absolute))
            defer { try? handle.close() }
            data = try handle.read(upToCount: PipelineLimits.fileBytes + 1) ?? Data()
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
        if data.count > PipelineLimits.fileBytes {
            throw ConfigErrors([ConfigError(file: path, line: 1, column: 1, message: tooLarge, hint: tooLargeHint)])
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

    static let tooLarge = "the pipeline file is larger than 1 MiB, the most a pipeline file may be"
    static let tooLargeHint = "is this the right file? A pipeline is a short YAML file naming stages (see pipelines/archive.yml)"

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
        if source.utf8.count > PipelineLimits.fileBytes {
            fail(at: SourcePosition(line: 1, column: 1), Self.tooLarge, hint: Self.tooLargeHint)
            return nil
        }
        if let key = complexKeyInAnchoredText() {
            fail(at: lines.position(of: key), "an alias, list or mapping is used as a mapping key; keys in a pipeline file are plain names",
                 hint: "anchors (&name) and aliases (*name) may stand for values, not for keys")
            return nil
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: source)
        } catch let error as YamlError {
            errors.append(yamlError(error))
            return nil
        } catch {
            fail(at: SourcePosition(line: 1, column: 1), "cannot parse YAML: \(error)")
            return nil
        }
        if let root {
            var expansion = Expansion()
            _ = expansion.measure(root, depth: 1)
            if let problem = expansion.problem {
                fail(problem.node, problem.message, hint: problem.hint)
                return nil
            }
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
        if map.count > PipelineLimits.stages {
            let first = map[map.index(map.startIndex, offsetBy: PipelineLimits.stages)]
            fail(first.key, "a pipeline may have at most \(PipelineLimits.stages) stages (this one has \(map.count))",
                 hint: "split the work into several pipeline files")
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

    // MARK: - YAML errors

    /// libyaml's and Yams's errors as one positioned line each.
    private func yamlError(_ error: YamlError) -> ConfigError {
        let hint = "check indentation and that every `{`/`[` is closed"
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let p = SourcePosition(line: mark.line, column: mark.column)
            if problem.hasPrefix("Maximum nesting level") {
                return configError(p, Expansion.tooDeep, hint: Expansion.tooDeepHint)
            }
            return configError(p, "YAML syntax: " + problem + (context.map { " (\($0.text))" } ?? ""), hint: hint)
        case let .reader(problem, offset, value, _):
            // libyaml refuses a character it cannot read; find it (the offset Yams gives counts
            // Characters, which a control character can join to its neighbour).
            let scalars = source.unicodeScalars
            let bad = value >= 0 ? scalars.firstIndex { Int64($0.value) == Int64(value) } : nil
            let index = bad ?? offset.flatMap { source.index(source.startIndex, offsetBy: $0, limitedBy: source.endIndex) }
            let shown = bad.map { " (" + ShownText.shown(scalars[$0]) + ")" } ?? ""
            return configError(index.map { lines.position(of: $0) } ?? SourcePosition(line: 1, column: 1),
                               "YAML cannot hold this character\(shown): \(problem)",
                               hint: "a pipeline file is UTF-8 text; in a double-quoted string a control character is written as an escape such as \"\\x01\"")
        case let .duplicatedKeysInMapping(duplicates, context):
            let first = SourcePosition(line: context.mark.line, column: context.mark.column)
            guard let name = duplicates.first, name != "<uncovertable>" else {
                return configError(first, "duplicate keys in a mapping", hint: "a key may appear only once in a mapping")
            }
            let others = duplicates.dropFirst().map { "'\($0)'" }
            let message = "duplicate key '\(name)' (first defined at line \(first.line))"
                + (others.isEmpty ? "" : "; also defined twice: \(others.joined(separator: ", "))")
            return configError(secondDefinition(of: name, first: first) ?? first, message,
                               hint: "a key may appear only once in a mapping: remove one, or give the second another name")
        default:
            return configError(SourcePosition(line: 1, column: 1), "YAML: \(error)")
        }
    }

    /// Yams points at the first of two equal keys; the mistake is usually the second. Reads the text
    /// again with one character of the first key changed (so no column moves) and takes the position
    /// the key then has.
    private func secondDefinition(of name: String, first: SourcePosition) -> SourcePosition? {
        guard var at = lines.index(line: first.line, column: first.column) else { return nil }
        var text = source
        let opening = text.unicodeScalars[at]
        let quoted = opening == "\"" || opening == "'"
        if quoted { at = text.unicodeScalars.index(after: at) }
        // An empty key, or a key that does not start on its line, is not renamed.
        guard at < text.unicodeScalars.endIndex, !(quoted && text.unicodeScalars[at] == opening),
              !"\n\r".unicodeScalars.contains(text.unicodeScalars[at]) else { return nil }
        text.unicodeScalars.replaceSubrange(at...at, with: ["\u{E000}"])
        do {
            guard let root = try Yams.compose(yaml: text) else { return nil }
            // The mapping that holds the renamed key holds the duplicate.
            var found: SourcePosition?
            Expansion.visit(root) { node in
                guard found == nil, let mapping = node.mapping,
                      mapping.contains(where: { position($0.key) == first }) else { return }
                found = mapping.first { $0.key.string == name && position($0.key) != first }.map { position($0.key) }
            }
            return found
        } catch let YamlError.duplicatedKeysInMapping(duplicates, context) where duplicates.first == name {
            return SourcePosition(line: context.mark.line, column: context.mark.column)
        } catch {
            return nil
        }
    }

    // MARK: - limits

    /// The first mapping key that is an alias, list or mapping, in a text that defines an anchor.
    /// Yams hashes every key while composing (to find duplicates), so such a key built from aliases
    /// would be expanded before any limit is checked; pipeline keys are plain names. This reads the
    /// raw text and errs on the safe side: a `*name:` or `]:` inside a quoted string counts too, but
    /// only in a file that has an `&anchor`.
    private func complexKeyInAnchoredText() -> String.Index? {
        let bytes = Array(source.utf8)
        func isName(_ i: Int) -> Bool {
            guard i < bytes.count else { return false }
            let b = bytes[i]
            return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
        }
        func afterBlanks(_ i: Int) -> Int {
            var k = i
            while k < bytes.count, bytes[k] == 0x20 || bytes[k] == 0x09 { k += 1 }
            return k
        }
        let ampersand: UInt8 = 0x26, star: UInt8 = 0x2A, colon: UInt8 = 0x3A, question: UInt8 = 0x3F
        guard bytes.indices.contains(where: { bytes[$0] == ampersand && isName($0 + 1) }) else { return nil }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            var complex = false
            if b == star, isName(i + 1) {
                var end = i + 1
                while isName(end) { end += 1 }
                let k = afterBlanks(end)
                complex = k < bytes.count && bytes[k] == colon
            } else if b == 0x5D || b == 0x7D {  // ] or }
                let k = afterBlanks(i + 1)
                complex = k < bytes.count && bytes[k] == colon
            } else if b == question, i + 1 == bytes.count || [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i + 1]),
                      i == 0 || [0x20, 0x09, 0x0A, 0x0D, 0x5B, 0x7B, 0x2C].contains(bytes[i - 1]) {
                // An explicit key (`? KEY`): complex unless a scalar follows on the same line.
                let k = afterBlanks(i + 1)
                complex = k == bytes.count || [0x0A, 0x0D, 0x5B, 0x7B, star, ampersand, 0x21, 0x2D, 0x23].contains(bytes[k])
            }
            if complex { return source.utf8.index(source.utf8.startIndex, offsetBy: i) }
            i += 1
        }
        return nil
    }
}

/// Measures a composed document once per distinct node (an alias is the node it names, met again):
/// how many values it expands to and how deep it nests. Records the first node past a limit.
struct Expansion {
    static let tooDeep = "lists and mappings nest more than \(PipelineLimits.depth) levels deep"
    static let tooDeepHint = "a pipeline file nests a few levels; check for unclosed `[`/`{` or runaway indentation"

    /// A node's identity: where it starts and what it is (an alias carries its anchor's position).
    private struct Key: Hashable {
        var line: Int, column: Int, kind: Int, count: Int
        init(_ node: Node) {
            line = node.mark?.line ?? 0
            column = node.mark?.column ?? 0
            switch node {
            case .scalar(let s): (kind, count) = (0, s.string.utf8.count)
            case .sequence(let s): (kind, count) = (1, s.count)
            case .mapping(let m): (kind, count) = (2, m.count)
            case .alias: (kind, count) = (3, 0)
            }
        }
    }

    struct Size {
        /// Values once aliases are expanded (the node itself included).
        var values = 1
        /// Levels from this node down to its deepest value (1 for a scalar).
        var height = 1
        /// Whether an alias was met below.
        var aliased = false
    }

    private var known: [Key: Size] = [:]
    private(set) var problem: (node: Node, message: String, hint: String)?

    static func children(_ node: Node) -> [Node] {
        switch node {
        case .sequence(let s): return Array(s)
        case .mapping(let m): return m.flatMap { [$0.key, $0.value] }
        case .scalar, .alias: return []
        }
    }

    /// The node's size; `depth` is its level from the root (1). Stops at the first problem.
    mutating func measure(_ node: Node, depth: Int) -> Size {
        let key = Key(node)
        if var size = known[key] {
            size.aliased = true
            return size
        }
        if depth > PipelineLimits.depth {
            problem = (node, Self.tooDeep, Self.tooDeepHint)
            return Size()
        }
        var size = Size()
        for child in Self.children(node) {
            let inner = measure(child, depth: depth + 1)
            if problem != nil { return size }
            size.values += inner.values
            size.height = max(size.height, inner.height + 1)
            size.aliased = size.aliased || inner.aliased
            if depth + size.height - 1 > PipelineLimits.depth {
                // Only an alias brings a deeper value here without passing the check above.
                problem = (node, Self.tooDeep + " once aliases are expanded", Self.tooDeepHint)
                return size
            }
            if size.values > PipelineLimits.values {
                problem = size.aliased
                    ? (node, "aliases expand to more than \(PipelineLimits.values) values here",
                       "a pipeline file may hold \(PipelineLimits.values) values once every *alias is replaced by what it names; write the value out once instead")
                    : (node, "the pipeline file holds more than \(PipelineLimits.values) values",
                       "a pipeline file names stages and a few parameters; is this the right file?")
                return size
            }
        }
        known[key] = size
        return size
    }

    /// Calls `body` once for each distinct node (aliases are not entered again).
    static func visit(_ root: Node, _ body: (Node) -> Void) {
        var seen = Set<Key>()
        var pending = [root]
        while let node = pending.popLast() {
            guard seen.insert(Key(node)).inserted else { continue }
            body(node)
            pending.append(contentsOf: children(node).reversed())
        }
    }
}
