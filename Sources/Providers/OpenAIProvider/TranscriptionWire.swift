import Foundation
import ModelAPI

/// `POST /audio/transcriptions` as multipart/form-data, and its `verbose_json` / `json` answers.
enum TranscriptionWire {
    static let path = "/audio/transcriptions"

    enum Format: String, Sendable {
        case verboseJSON = "verbose_json"
        case json
    }

    /// The form fields in order (the file last), without the audio.
    static func fields(_ request: TranscriptionRequest, model: String, format: Format) -> [(String, String)] {
        var fields: [(String, String)] = [("model", model), ("response_format", format.rawValue)]
        if let language = request.language { fields.append(("language", language)) }
        if let prompt = request.prompt { fields.append(("prompt", prompt)) }
        if let temperature = request.temperature { fields.append(("temperature", String(temperature))) }
        if format == .verboseJSON {
            fields.append(("timestamp_granularities[]", "segment"))
            fields.append(("timestamp_granularities[]", "word"))
        }
        return fields
    }

    static func hash(_ request: TranscriptionRequest, model: String, identity: String? = nil) -> String {
        var hash = RequestHash(path: path, model: model, identity: identity)
        // The request as asked: always verbose_json, whatever a fallback later sends.
        for (name, value) in fields(request, model: model, format: .verboseJSON) {
            hash.add("field \(name.utf8.count):\(name)=\(value.utf8.count):\(value)\n")
        }
        hash.add("file audio.wav audio/wav\n")
        hash.add(bytes: request.wav)
        return hash.finalize()
    }

    static func body(_ request: TranscriptionRequest, model: String, format: Format, boundary: String) -> [UInt8] {
        var body: [UInt8] = []
        func line(_ text: String) { body += Array((text + "\r\n").utf8) }
        for (name, value) in fields(request, model: model, format: format) {
            line("--\(boundary)")
            line("Content-Disposition: form-data; name=\"\(name)\"")
            line("")
            line(value)
        }
        line("--\(boundary)")
        line("Content-Disposition: form-data; name=\"file\"; filename=\"audio.wav\"")
        line("Content-Type: audio/wav")
        line("")
        body += request.wav
        line("")
        line("--\(boundary)--")
        return body
    }

    static func parse(_ body: [UInt8], askedModel: String, cached: Bool) -> Result<TranscriptionResult, WireParseFailure> {
        guard let json = decodeJSON(body) else { return .failure(WireParseFailure("the body is not JSON")) }
        guard let text = json["text"]?.stringValue else { return .failure(WireParseFailure("no text")) }
        func span(_ value: JSONValue, textKey: String) -> TranscribedSpan? {
            guard let start = value["start"]?.numberValue, let end = value["end"]?.numberValue else { return nil }
            return TranscribedSpan(start: start, end: end, text: value[textKey]?.stringValue ?? "")
        }
        let segments = (json["segments"]?.arrayValue ?? []).compactMap { span($0, textKey: "text") }
        let words = (json["words"]?.arrayValue ?? []).compactMap { span($0, textKey: "word") }
        return .success(TranscriptionResult(text: text, segments: segments, words: words,
                                            language: json["language"]?.stringValue,
                                            model: json["model"]?.stringValue ?? askedModel, cached: cached))
    }
}
