import Foundation
import NIOHTTP1

/// One request as it goes over the wire: what the transport sends and retries.
struct WireRequest: Sendable {
    /// `/chat/completions`, appended to the provider's base URL (or to the server's root, `fromServerRoot`).
    var path: String
    var model: String
    var contentType: String
    var body: [UInt8]
    /// POST, except for lookups such as llama.cpp's `GET /props`.
    var method: HTTPMethod = .POST
    /// True: `path` is relative to the server's root (the base URL without its `/v1`), as `/props` is.
    var fromServerRoot = false

    /// `POST /chat/completions`, as messages and logs name the call.
    var label: String { "\(method.rawValue) \(path)" }
}

/// An answer the transport hands back: a 2xx, or a 4xx other than 429 (those are never retried, and the
/// caller decides whether one means "fall back" or "fail").
struct WireResponse: Sendable {
    var status: Int
    var body: [UInt8]
    /// Attempts made, the first one included.
    var attempts: Int
    /// Seconds from the first attempt to the answer, backoff included.
    var elapsed: Double

    var isSuccess: Bool { (200..<300).contains(status) }
    var statusText: String { statusLine(status) }
}

/// `404 Not Found`.
func statusLine(_ status: Int) -> String {
    let phrase = HTTPResponseStatus(statusCode: status).reasonPhrase
    return phrase.isEmpty ? String(status) : "\(status) \(phrase)"
}

/// What a server said in an error body: `error.message` (OpenAI, vLLM, Ollama, Anthropic; Google's in an
/// array), `error` as a string, `message` or `detail`; else the text itself. One line, at most `limit` characters.
func serverMessage(_ body: [UInt8], limit: Int = 300) -> String {
    var text = String(decoding: body, as: UTF8.self)
    var parsed = try? JSONSerialization.jsonObject(with: Data(body))
    // Google's endpoints answer errors as an array of error objects: read the first.
    if let list = parsed as? [Any], let first = list.first as? [String: Any] { parsed = first }
    if let json = parsed as? [String: Any] {
        if let error = json["error"] as? [String: Any], let message = error["message"] as? String {
            text = message
        } else if let error = json["error"] as? String {
            text = error
        } else if let message = json["message"] as? String {
            text = message
        } else if let detail = json["detail"] as? String {
            text = detail
        } else if let details = json["detail"] as? [[String: Any]] {
            // FastAPI/pydantic validation errors (llama-cpp-python, vLLM): "body.response_format.type: Input should be …".
            text = details.map { item in
                let location = (item["loc"] as? [Any])?.map { "\($0)" }.joined(separator: ".")
                let message = item["msg"] as? String ?? ""
                return location.map { "\($0): \(message)" } ?? message
            }.joined(separator: "; ")
        } else if let detail = json["detail"] {
            text = String(describing: detail)
        }
    }
    let oneLine = text.split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
        .trimmingCharacters(in: .whitespaces)
    if oneLine.count > limit { return String(oneLine.prefix(limit)) + "…" }
    return oneLine
}
