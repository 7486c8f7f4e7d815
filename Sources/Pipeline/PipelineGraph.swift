import Crypto
import Foundation
import MediaIO
import Stages
import Yams

/// A stage resolved against the registry: its type's facts, its decoded parameters and its fingerprint.
public struct ConfiguredStage: Sendable {
    public var name: String
    public var typeName: String
    public var version: Int
    public var inputKinds: [DataKind]
    public var outputKind: DataKind
    public var media: MediaNeed
    public var from: [String]
    public var provider: String?
    /// The parameters with defaults filled in, as canonical JSON (sorted keys).
    public var parametersJSON: String
    /// The model the stage's parameters name (overriding its provider's), if any.
    public var model: String?
    /// SHA-256 over type, version, parameters and the upstream fingerprints (DESIGN.md's build-system rule).
    public var fingerprint: String
    /// Plans the stage's work for one video.
    let plan: @Sendable (StageContext) throws -> StageWork
    /// The files to write once the stage's records for one video have committed.
    let sidecarFiles: @Sendable (StageContext, StageOutput) -> [Sidecar]

    public func work(_ context: StageContext) throws -> StageWork { try plan(context) }
    public func sidecars(_ context: StageContext, _ output: StageOutput) -> [Sidecar] { sidecarFiles(context, output) }
}

/// A validated pipeline: stages in a topological order, every edge kind-checked.
public struct PipelineGraph: Sendable {
    public var config: PipelineConfig
    /// Topological order; ties keep the file's order.
    public var stages: [ConfiguredStage]
    /// SHA-256 of the pipeline's stage fingerprints, recorded with each run.
    public var pipelineHash: String

    public func stage(named name: String) -> ConfiguredStage? { stages.first { $0.name == name } }

    /// Every stage downstream of `name` (not including it).
    public func descendants(of name: String) -> Set<String> {
        var out = Set<String>()
        var frontier = [name]
        while let current = frontier.popLast() {
            for s in stages where s.from.contains(current) && !out.contains(s.name) {
                out.insert(s.name)
                frontier.append(s.name)
            }
        }
        return out
    }

    /// Files the parameters name (few-shot example images) are checked here, against the pipeline file's directory.
    public static func load(path: String, registry: [any StageType.Type] = StageRegistry.builtin) throws -> PipelineGraph {
        let directory = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return try PipelineFiles.$directory.withValue(directory) { try build(ConfigLoader.load(path: path), registry: registry) }
    }

    /// Resolves stage types and parameters, checks the graph, computes fingerprints. Throws `ConfigErrors` listing every problem.
    public static func build(_ config: PipelineConfig, registry: [any StageType.Type] = StageRegistry.builtin) throws -> PipelineGraph {
        var checker = GraphChecker(config: config, registry: registry)
        let stages = checker.check()
        if !checker.errors.isEmpty { throw ConfigErrors(checker.errors) }
        var hasher = SHA256()
        for s in stages { hasher.update(data: Data("\(s.name)=\(s.fingerprint)\n".utf8)) }
        return PipelineGraph(config: config, stages: stages, pipelineHash: hexString(hasher.finalize()))
    }
}

func hexString<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
}

/// The validation pass behind `PipelineGraph.build`.
struct GraphChecker {
    let config: PipelineConfig
    let registry: [any StageType.Type]
    var errors: [ConfigError] = []
    private let reporter: ConfigLoader

    init(config: PipelineConfig, registry: [any StageType.Type]) {
        self.config = config
        self.registry = registry
        self.reporter = ConfigLoader(file: config.displayName, source: config.source)
    }

    /// Records an error; the hint is worked out only for the errors printed in full.
    mutating func fail(_ p: SourcePosition, _ message: String, hint: @autoclosure () -> String? = nil) {
        errors.append(reporter.configError(p, message, hint: hint(), detailed: errors.count < PipelineLimits.printedErrors))
    }

    /// The stage names for a hint: all of a short list, the first few of a long one.
    static func listed(_ names: [String]) -> String {
        names.count <= 12 ? names.joined(separator: ", ") : names.prefix(10).joined(separator: ", ") + ", … (\(names.count) in all)"
    }

    mutating func check() -> [ConfiguredStage] {
        let names = config.stages.map(\.name)
        let nameSet = Set(names)
        let typeNames = registry.map { $0.name }
        var resolved: [String: (config: StageConfig, type: any StageType.Type, decoded: DecodedParameters)] = [:]
        for stage in config.stages {
            guard let type = registry.first(where: { $0.name == stage.use }) else {
                fail(stage.usePosition, "unknown stage type '\(stage.use)' in stage '\(stage.name)'",
                     hint: (closestMatch(to: stage.use, in: typeNames).map { "did you mean '\($0)'? " } ?? "")
                        + "known types: \(typeNames.joined(separator: ", "))")
                continue
            }
            for (i, upstream) in stage.from.enumerated() where !nameSet.contains(upstream) {
                fail(stage.fromPositions[i], "stage '\(stage.name)' reads from '\(upstream)', which is not a stage in this pipeline",
                     hint: (closestMatch(to: upstream, in: names).map { "did you mean '\($0)'? " } ?? "")
                        + "stages: \(Self.listed(names))")
            }
            if let provider = stage.provider, config.providers[provider] == nil {
                let known = config.providers.keys.sorted()
                fail(stage.providerPosition ?? stage.position, "stage '\(stage.name)' uses provider '\(provider)', which is not defined",
                     hint: known.isEmpty ? "add it under `providers:`" : "defined providers: \(known.joined(separator: ", "))")
            }
            if let decoded = decodeParameters(type, stage: stage) {
                resolved[stage.name] = (stage, type, decoded)
                if decoded.needsProvider && stage.provider == nil {
                    let known = config.providers.keys.sorted()
                    fail(stage.usePosition, "stage '\(stage.name)' (\(type.name)) needs a model server: it has no `provider:`",
                         hint: known.isEmpty
                            ? "define one under `providers:` (type: openai, base_url: http://127.0.0.1:11434/v1) and add `provider: NAME` to the stage"
                            : "add `provider: \(known[0])` to the stage (defined: \(known.joined(separator: ", ")))")
                } else if !decoded.needsProvider, let provider = stage.provider, config.providers[provider] != nil {
                    fail(stage.providerPosition ?? stage.position,
                         "stage '\(stage.name)' (\(type.name)) does not use a model server, but names provider '\(provider)'",
                         hint: "remove `provider:` from the stage")
                }
            }
        }
        checkKinds(resolved.mapValues { ($0.config, $0.type) })
        guard let order = topologicalOrder() else { return [] }
        guard errors.isEmpty else { return [] }
        var fingerprints: [String: String] = [:]
        var out: [ConfiguredStage] = []
        for name in order {
            guard let r = resolved[name] else { continue }
            let type = r.type
            var hasher = SHA256()
            var material = "type=\(type.name)\nversion=\(type.version)\nparams=\(r.decoded.json)\n"
            if let p = r.config.provider, let provider = config.providers[p] {
                // The model decides the answers; the server's address does not (moving a server keeps results).
                material += "provider=\(provider.type)\nmodel=\(r.decoded.model ?? provider.model ?? "")\n"
            }
            for upstream in r.config.from.sorted() { material += "from=\(upstream):\(fingerprints[upstream] ?? "")\n" }
            hasher.update(data: Data(material.utf8))
            let fp = hexString(hasher.finalize())
            fingerprints[name] = fp
            out.append(ConfiguredStage(name: name, typeName: type.name, version: type.version, inputKinds: type.inputKinds,
                                       outputKind: type.outputKind, media: type.media, from: r.config.from,
                                       provider: r.config.provider, parametersJSON: r.decoded.json, model: r.decoded.model,
                                       fingerprint: fp, plan: r.decoded.plan, sidecarFiles: r.decoded.sidecars))
        }
        return out
    }

    /// A stage's parameters, decoded and checked, with what the typed value gives.
    struct DecodedParameters {
        /// Canonical JSON (sorted keys): what the fingerprint hashes.
        var json: String
        var model: String?
        var needsProvider: Bool
        var plan: @Sendable (StageContext) throws -> StageWork
        var sidecars: @Sendable (StageContext, StageOutput) -> [Sidecar]
    }

    /// Decodes `with:` into the type's Parameters, reporting unknown keys, wrong types and invalid values at their position.
    private mutating func decodeParameters<S: StageType>(_ type: S.Type, stage: StageConfig) -> DecodedParameters? {
        // The documentation (each default rendered) is worked out only for a message.
        let valid = S.Parameters.fields.map(\.name)
        var keyPositions: [String: SourcePosition] = [:]
        var ok = true
        if let mapping = stage.with?.mapping {
            for (key, value) in mapping {
                let k = key.string ?? ""
                keyPositions[k] = reporter.position(value)
                if !valid.contains(k) {
                    fail(reporter.position(key), "unknown parameter '\(k)' for \(S.name) in stage '\(stage.name)'",
                         hint: (closestMatch(to: k, in: valid).map { "did you mean '\($0)'? " } ?? "")
                            + (valid.isEmpty ? "\(S.name) takes no parameters" : "valid parameters: \(valid.joined(separator: ", "))"))
                    ok = false
                }
            }
        }
        guard ok else { return nil }
        let parameters: S.Parameters
        do {
            parameters = try YAMLDecoder().decode(S.Parameters.self, from: stage.with ?? Node.mapping(Node.Mapping([])))
        } catch let error as DecodingError {
            let docs = S.Parameters.documentation
            let problem = ValueProblem(error, in: stage.with, docs: docs)
            let doc = docs.first { $0.name == problem.key }
            fail(problem.node.map { reporter.position($0) } ?? problem.key.flatMap { keyPositions[$0] } ?? stage.position,
                 "invalid value for '\(problem.key ?? "with")' in stage '\(stage.name)': \(problem.message)",
                 hint: doc.map { "'\($0.name)' takes \($0.type) (default \($0.defaultValue)): \($0.summary)" })
            return nil
        } catch {
            fail(stage.position, "invalid parameters in stage '\(stage.name)': \(error)")
            return nil
        }
        do {
            try parameters.validate()
        } catch {
            fail(keyPositions[error.key] ?? stage.position, "invalid value for '\(error.key)' in stage '\(stage.name)': \(error.message)",
                 hint: error.hint ?? S.Parameters.documentation.first { $0.name == error.key }.map { "'\($0.name)' takes \($0.type): \($0.summary)" })
            return nil
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // The JSON is what the fingerprint hashes: parameters without one (an infinite number in a
        // `schema:`) would all hash alike, so they are an error rather than "{}".
        let json: String
        do {
            json = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        } catch {
            let key = (error as? EncodingError).flatMap { error -> String? in
                guard case let .invalidValue(_, context) = error else { return nil }
                return context.codingPath.first?.stringValue
            }
            fail(key.flatMap { keyPositions[$0] } ?? stage.position,
                 "invalid value for '\(key ?? "with")' in stage '\(stage.name)': it has no JSON form",
                 hint: "numbers must be finite: .inf and .nan cannot be written as JSON")
            return nil
        }
        return DecodedParameters(
            json: json, model: S.model(parameters), needsProvider: S.needsProvider(parameters),
            plan: { context in try S.work(parameters: parameters, context: context) },
            sidecars: { context, output in S.sidecars(parameters: parameters, context: context, output: output) })
    }

    /// Checks that each stage's `from` supplies the kinds its type needs (like GStreamer caps).
    private mutating func checkKinds(_ stages: [String: (config: StageConfig, type: any StageType.Type)]) {
        for stage in config.stages {
            guard let (cfg, type) = stages[stage.name] else { continue }
            if type.inputKinds.isEmpty {
                if let first = cfg.from.first {
                    fail(cfg.fromPositions[0], "stage '\(cfg.name)' (\(type.name)) reads the media directly and takes no `from` (got '\(first)')",
                         hint: "remove `from:`; \(type.name) decodes the video file itself")
                }
                continue
            }
            if cfg.from.isEmpty {
                let wanted = type.inputKinds.map(\.rawValue).joined(separator: ", ")
                fail(cfg.usePosition, "stage '\(cfg.name)' (\(type.name)) needs `from:` a stage that yields \(wanted)",
                     hint: stages.values.filter { type.inputKinds.contains($0.type.outputKind) }.map(\.config.name).min()
                        .map { "e.g. `from: \($0)`" } ?? "add a stage that yields \(wanted)")
                continue
            }
            var supplied = Set<DataKind>()
            for (i, upstream) in cfg.from.enumerated() {
                guard let up = stages[upstream] else { continue }
                if !type.inputKinds.contains(up.type.outputKind) {
                    fail(cfg.fromPositions[i],
                         "stage '\(cfg.name)' (\(type.name)) needs \(type.inputKinds.map(\.rawValue).joined(separator: " or ")), but '\(upstream)' (\(up.type.name)) yields \(up.type.outputKind.rawValue)",
                         hint: "read from a stage whose type yields \(type.inputKinds.map(\.rawValue).joined(separator: " or "))")
                }
                supplied.insert(up.type.outputKind)
            }
            for required in type.requiredInputKinds where !supplied.contains(required) {
                fail(cfg.usePosition, "stage '\(cfg.name)' (\(type.name)) needs one `from` stage that yields \(required.rawValue)",
                     hint: stages.values.filter { $0.type.outputKind == required }.map(\.config.name).min()
                        .map { "add \($0) to `from:`" } ?? "add a stage that yields \(required.rawValue)")
            }
        }
    }

    /// Kahn's algorithm: of the stages whose upstreams are all placed, the one declared first goes
    /// next (a heap of declaration indices), so ties keep the file's order; O((stages + links) log stages).
    /// Reports a cycle with its members.
    private mutating func topologicalOrder() -> [String]? {
        // One node per name (a name given twice is the loader's error; the first declaration stands).
        var index: [String: Int] = [:]
        var nodes: [StageConfig] = []
        for stage in config.stages where index[stage.name] == nil {
            index[stage.name] = nodes.count
            nodes.append(stage)
        }
        var waiting = Array(repeating: 0, count: nodes.count)
        var downstream = Array(repeating: [Int](), count: nodes.count)
        for (i, stage) in nodes.enumerated() {
            // An unknown upstream is reported elsewhere; a name listed twice is one link.
            for upstream in Set(stage.from) {
                guard let u = index[upstream] else { continue }
                waiting[i] += 1
                downstream[u].append(i)
            }
        }
        var ready = IndexHeap(nodes.indices.filter { waiting[$0] == 0 })
        var order: [String] = []
        while let next = ready.popMin() {
            order.append(nodes[next].name)
            for d in downstream[next] {
                waiting[d] -= 1
                if waiting[d] == 0 { ready.insert(d) }
            }
        }
        guard order.count < nodes.count else { return order }
        // Every stage left waits on another one left: walk upstream from the first until a stage repeats.
        var path: [Int] = []
        var onPath: [Int: Int] = [:]
        var current = nodes.indices.first { waiting[$0] > 0 }!
        while onPath[current] == nil {
            onPath[current] = path.count
            path.append(current)
            current = nodes[current].from.compactMap { index[$0] }.first { waiting[$0] > 0 }!
        }
        // The walk went against the data; the cycle reads downstream from its first-declared stage.
        var cycle = Array(path[onPath[current]!...].reversed())
        let start = cycle.firstIndex(of: cycle.min()!)!
        cycle = Array(cycle[start...] + cycle[..<start])
        let names = cycle.map { nodes[$0].name }
        let shown = names.count <= 12 ? names : names.prefix(10) + ["… (\(names.count) stages)"]
        fail(nodes[cycle[0]].position, "stages form a cycle: \((shown + [names[0]]).joined(separator: " → "))",
             hint: "a stage cannot read, directly or indirectly, from itself; remove one of these `from:` links")
        return nil
    }
}

/// A binary min-heap of indices: the ready stage declared first.
struct IndexHeap {
    private var items: [Int] = []

    init(_ initial: [Int]) {
        for i in initial { insert(i) }
    }

    mutating func insert(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left] < items[smallest] { smallest = left }
            if right < items.count, items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { return first }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

/// A decoding error in a stage's `with:` in the user's words: which key (and item), what it takes,
/// and what the file has there, e.g. "must be a number, not a mapping".
struct ValueProblem {
    /// The parameter (the first key of the path).
    var key: String?
    /// The value at fault, when the path leads to it.
    var node: Node?
    var message: String

    init(_ error: DecodingError, in with: Node?, docs: [ParameterDoc]) {
        func located(_ path: [any CodingKey]) -> (key: String?, node: Node?, place: String) {
            var node = with
            var place: [String] = []
            for (i, step) in path.enumerated() {
                if let index = step.intValue, let seq = node?.sequence {
                    node = index < seq.count ? seq[seq.index(seq.startIndex, offsetBy: index)] : nil
                    if i > 0 { place.append("item \(index + 1)") }
                } else {
                    node = node?.mapping?[step.stringValue]
                    if i > 0 { place.append("'\(step.stringValue)'") }
                }
            }
            return (path.first?.stringValue, node, place.joined(separator: " → "))
        }
        func sentence(_ place: String, _ rest: String) -> String { place.isEmpty ? rest : place + " " + rest }
        switch error {
        case let .typeMismatch(type, ctx):
            let (key, node, place) = located(ctx.codingPath)
            let found = node.map { ", not " + Self.describe($0) } ?? ""
            self.init(key: key, node: node,
                      message: sentence(place, "must be \(Self.expected(type, doc: Self.docType(ctx.codingPath, docs)))" + found))
        case let .valueNotFound(type, ctx):
            let (key, node, place) = located(ctx.codingPath)
            self.init(key: key, node: node,
                      message: sentence(place, "must be \(Self.expected(type, doc: Self.docType(ctx.codingPath, docs))), not empty"))
        case let .keyNotFound(missing, ctx):
            let (_, node, place) = located(ctx.codingPath)
            self.init(key: ctx.codingPath.first?.stringValue ?? missing.stringValue, node: node,
                      message: sentence(place, "needs the key '\(missing.stringValue)'"))
        case let .dataCorrupted(ctx):
            let (key, node, _) = located(ctx.codingPath)
            self.init(key: key, node: node, message: ctx.debugDescription)
        @unknown default:
            self.init(key: nil, node: nil, message: "\(error)")
        }
    }

    private init(key: String?, node: Node?, message: String) {
        self.key = key
        self.node = node
        self.message = message
    }

    /// The documented type of the value at `path`: the key's, or for an item of a list the type of its items.
    static func docType(_ path: [any CodingKey], _ docs: [ParameterDoc]) -> String? {
        guard let key = path.first?.stringValue, let type = docs.first(where: { $0.name == key })?.type else { return nil }
        if path.count == 1 { return type }
        if path.count == 2, path[1].intValue != nil, type.hasPrefix("list of ") { return String(type.dropFirst("list of ".count)) }
        return nil
    }

    /// What the value should be, from the type the decoder wanted or, where that is only "a single
    /// value", from the documented type.
    static func expected(_ type: Any.Type, doc: String?) -> String {
        switch "\(type)" {
        case "Double", "Float": return "a number"
        case "Int", "Int64", "Int32", "UInt", "UInt64": return "a whole number"
        case "Bool": return "true or false"
        case "String": return "a string"
        case "Sequence", "Array<JSONValue>": return "a list"
        case "Mapping", "Dictionary<String, JSONValue>": return "a mapping"
        default: break
        }
        guard let words = doc else { return "a single value" }
        if words.hasPrefix("number") { return "a number" }
        if words.hasPrefix("integer") { return "a whole number" }
        if words.hasPrefix("boolean") { return "true or false" }
        if words.hasPrefix("duration") { return "a duration" }
        if words.hasPrefix("string") || words == "path" { return "a string" }
        if words.hasPrefix("list") { return "a list" }
        if words.contains("mapping") { return "a mapping" }
        let choices = words.split(whereSeparator: { $0 == "|" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }
        return choices.count > 1 ? "one of " + choices.joined(separator: ", ") : "a single value"
    }

    /// What the file has: "a mapping", "a list", "empty" or the scalar itself.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if scalar.string.isEmpty || node.null != nil { return "empty" }
            return "'" + ShownText.escaped(scalar.string, limit: 40) + "'"
        }
    }
}
