import Foundation
import ModelAPI

/// What a failed answer's body says is wrong, read from the wording real servers use, so that a
/// refusal is handled for what it is whatever its status: llama-cpp-python answers an unsupported
/// `response_format` with a 500, an older llama.cpp server too; a 500 that is a validation error is
/// not worth resending.
enum ServerComplaint: Equatable {
    /// The body names `response_format` / `json_schema`: the server does not take the JSON mode asked for.
    case responseFormat
    /// The prompt is longer than the model's context (numbers in tokens, where the server gives them).
    case contextOverflow(promptTokens: Int?, contextTokens: Int?)
    /// The server or model takes no images (llama.cpp without a projector answers a 500 "image input is not
    /// supported - hint: … mmproj").
    case images
    /// The server does not serve the model named.
    case unknownModel
    /// The request was refused as invalid (a validation error), for another reason.
    case invalidRequest
    /// Nothing recognised: transient or not, as the status says.
    case other

    static func classify(status: Int, body: [UInt8]) -> ServerComplaint {
        let text = String(decoding: body.prefix(16_384), as: UTF8.self)
        let lower = text.lowercased()
        if let overflow = contextOverflow(lower, body: body) { return overflow }
        if lower.contains("response_format") || lower.contains("json_schema") || lower.contains("response format") {
            return .responseFormat
        }
        if mentionsImages(lower) { return .images }
        if (status == 404 || status == 400) && lower.contains("model")
            && ["not found", "does not exist", "unknown model", "no such model", "model_not_found", "not available"]
                .contains(where: lower.contains) {
            return .unknownModel
        }
        if status == 422 || ["validation error", "validation_error", "input should be", "literal_error",
                             "invalid_request_error", "extra_forbidden"].contains(where: lower.contains) {
            return .invalidRequest
        }
        return .other
    }

    static func mentionsImages(_ text: String) -> Bool {
        let lower = text.lowercased()
        return ["image", "vision", "multimodal", "multi-modal", "mmproj"].contains { lower.contains($0) }
    }

    /// Sending the same request again may help (a 429, a 5xx that is not a refusal of the request).
    var isTransient: Bool { self == .other }

    /// The context-overflow wordings of llama.cpp's server (`exceed_context_size_error`, `n_prompt_tokens`,
    /// `n_ctx`), vLLM and OpenAI ("maximum context length is N tokens … requested/resulted in M tokens"),
    /// llama-cpp-python ("Requested tokens (M) exceed context window of N"), Anthropic ("prompt is too long:
    /// M tokens > N maximum") and Ollama ("input length exceeds the context length").
    private static func contextOverflow(_ lower: String, body: [UInt8]) -> ServerComplaint? {
        let markers = ["exceed_context_size", "context_length_exceeded", "maximum context length", "context window",
                       "exceeds the available context", "exceeds the context", "prompt is too long",
                       "context length exceeded", "context size"]
        guard markers.contains(where: lower.contains) else { return nil }
        let json = decodeJSON(body)
        var prompt = int(json?["error"]?["n_prompt_tokens"]) ?? int(json?["n_prompt_tokens"])
        var context = int(json?["error"]?["n_ctx"]) ?? int(json?["n_ctx"])
        if prompt == nil {
            prompt = firstNumber(in: lower, after: ["requested tokens (", "request (", "resulted in ", "you requested ",
                                                    "prompt is too long: ", "prompt has "])
        }
        if context == nil {
            context = firstNumber(in: lower, after: ["maximum context length is ", "context window of ",
                                                     "available context size (", "tokens > ", "context length of "])
        }
        return .contextOverflow(promptTokens: prompt, contextTokens: context)
    }

    private static func int(_ value: JSONValue?) -> Int? {
        if case .number(let n)? = value, n >= 0, n < 1e12 { return Int(n) }
        return nil
    }

    /// The integer right after the first of `prefixes` found in `text`.
    private static func firstNumber(in text: String, after prefixes: [String]) -> Int? {
        for prefix in prefixes {
            guard let range = text.range(of: prefix) else { continue }
            let digits = text[range.upperBound...].prefix { $0.isNumber }
            if let n = Int(digits) { return n }
        }
        return nil
    }
}
