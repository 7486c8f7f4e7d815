import Foundation
import ModelAPI

/// What a server's model list says identifies a model, beyond its name:
/// - Ollama: the `digest` of the pulled model (from `/api/tags` beside `/v1`: its `/v1/models` has none);
/// - llama.cpp's server: the model file's metadata (`meta`: parameters, size, vocabulary, training context,
///   embedding width; the running context `n_ctx` is left out);
/// - vLLM: `root` (the checkpoint the served name points at) where it differs from the name.
/// `created` and `owned_by` are left out: servers fill them with the start time.
enum ModelIdentityWire {
    static let modelsPath = "/models"

    /// The identity of `model` in a `/models` answer; nil when the entry says nothing beyond its name.
    static func parse(_ body: [UInt8], model: String) -> String? {
        guard let json = decodeJSON(body) else { return nil }
        let entries = json["data"]?.arrayValue ?? []
        let entry = entries.first { $0["id"]?.stringValue == model }
            ?? entries.first { ($0["aliases"]?.arrayValue ?? []).contains(.string(model)) }
            ?? (entries.count == 1 ? entries.first : nil)  // llama.cpp serves one model, whatever it is called
        guard let entry else { return nil }
        if let digest = entry["digest"]?.stringValue, !digest.isEmpty { return "digest:\(digest)" }
        if var meta = entry["meta"]?.objectValue, !meta.isEmpty {
            meta["n_ctx"] = nil
            return "gguf:" + JSONValue.object(meta).jsonText
        }
        if let root = entry["root"]?.stringValue, !root.isEmpty, root != model {
            let parent = entry["parent"]?.stringValue.map { "@\($0)" } ?? ""
            return "root:\(root)\(parent)"
        }
        // llama.cpp also lists Ollama-style `models` entries; a non-empty digest there identifies it too.
        for other in json["models"]?.arrayValue ?? [] where other["model"]?.stringValue == model || other["name"]?.stringValue == model {
            if let digest = other["digest"]?.stringValue, !digest.isEmpty { return "digest:\(digest)" }
        }
        return nil
    }

    /// Ollama's native model list (`GET /api/tags`): the digest of `model` (`llama3.2` matches `llama3.2:latest`).
    static func parseOllamaTags(_ body: [UInt8], model: String) -> String? {
        guard let models = decodeJSON(body)?["models"]?.arrayValue else { return nil }
        let names = model.contains(":") ? [model] : [model, model + ":latest"]
        for entry in models {
            let name = entry["name"]?.stringValue ?? entry["model"]?.stringValue ?? ""
            if names.contains(name), let digest = entry["digest"]?.stringValue, !digest.isEmpty { return "digest:\(digest)" }
        }
        return nil
    }
}

extension OpenAIProvider {
    /// GET `/models` once per model for the provider's lifetime (then Ollama's `/api/tags` when the
    /// list names no identity and the base URL ends in `/v1`). A server that cannot be asked gives nil:
    /// the caller falls back to what it recorded before.
    public func modelIdentity(_ model: String) -> String? {
        if let known = memory.identity(model) { return known }
        var identity: String?
        let list = WireRequest(path: ModelIdentityWire.modelsPath, model: model, contentType: "application/json", body: [],
                               method: .GET)
        if let response = try? transport.send(list), response.isSuccess {
            identity = ModelIdentityWire.parse(response.body, model: model)
        }
        if identity == nil, transport.root.hasSuffix("/v1") {
            let tags = WireRequest(path: "/api/tags", model: model, contentType: "application/json", body: [],
                                   method: .GET, fromServerRoot: true)
            if let response = try? transport.send(tags), response.isSuccess {
                identity = ModelIdentityWire.parseOllamaTags(response.body, model: model)
            }
        }
        memory.rememberIdentity(identity, model: model)
        return identity
    }

    public func keepCachedAnswersApart(model: String, identity: String) {
        memory.setCacheSalt(identity, model: model)
    }
}
