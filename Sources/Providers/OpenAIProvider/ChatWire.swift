import Foundation
import ModelAPI

/// How far down the ladder json_schema → json_object → none a request's format went.
enum FormatStep: Int, Sendable, Comparable {
    case none = 0, jsonObject = 1, jsonSchema = 2

    init(_ format: ResponseFormat) {
        switch format {
        case .text: self = .none
        case .jsonObject: self = .jsonObject
        case .jsonSchema: self = .jsonSchema
        }
    }

    static func < (a: FormatStep, b: FormatStep) -> Bool { a.rawValue < b.rawValue }

    var lower: FormatStep? { FormatStep(rawValue: rawValue - 1) }

    /// The format as sent at this step for a request that asked for `requested`.
    func format(for requested: ResponseFormat) -> ResponseFormat {
        switch self {
        case .jsonSchema: return requested
        case .jsonObject: return .jsonObject
        case .none: return .text
        }
    }
}

/// `POST /chat/completions` bodies and answers.
enum ChatWire {
    static let path = "/chat/completions"

    /// The JSON body for `request` sent at `step` (lower than asked: the wanted shape goes into the prompt).
    static func body(_ request: ChatRequest, model: String, step: FormatStep) -> JSONValue {
        let asked = FormatStep(request.responseFormat)
        var messages = request.messages
        if step < asked, let instruction = instruction(for: request.responseFormat) {
            appendInstruction(instruction, to: &messages)
        }
        var object: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(messages.map(message)),
        ]
        if let maxTokens = request.maxTokens { object["max_tokens"] = .number(Double(maxTokens)) }
        if let temperature = request.temperature { object["temperature"] = .number(temperature) }
        if let penalty = request.frequencyPenalty { object["frequency_penalty"] = .number(penalty) }
        switch step.format(for: request.responseFormat) {
        case .text: break
        case .jsonObject: object["response_format"] = .object(["type": .string("json_object")])
        case .jsonSchema(let name, let schema):
            object["response_format"] = .object([
                "type": .string("json_schema"),
                "json_schema": .object(["name": .string(name), "schema": schema, "strict": .bool(true)]),
            ])
        }
        return .object(object)
    }

    /// Text-only messages carry a plain string; messages with images a content array of text and
    /// `image_url` parts with JPEG data URIs.
    static func message(_ message: ChatMessage) -> JSONValue {
        let content: JSONValue
        if message.hasImages {
            content = .array(message.parts.map { part in
                switch part {
                case .text(let text): return .object(["type": .string("text"), "text": .string(text)])
                case .jpeg(let bytes):
                    return .object(["type": .string("image_url"),
                                    "image_url": .object(["url": .string(jpegDataURI(bytes))])])
                }
            })
        } else {
            content = .string(message.parts.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined(separator: "\n"))
        }
        return .object(["role": .string(message.role.rawValue), "content": content])
    }

    static func instruction(for format: ResponseFormat) -> String? {
        switch format {
        case .text: return nil
        case .jsonObject: return "Answer with one JSON object and nothing else."
        case .jsonSchema(_, let schema):
            return "Answer with one JSON object and nothing else. It must follow this JSON schema:\n\(schema.jsonText)"
        }
    }

    /// Appends to the last user message (else the last system message, else a new system message).
    static func appendInstruction(_ instruction: String, to messages: inout [ChatMessage]) {
        let index = messages.lastIndex { $0.role == .user } ?? messages.lastIndex { $0.role == .system }
        guard let index else {
            messages.append(.system(instruction))
            return
        }
        if let last = messages[index].parts.lastIndex(where: { if case .text = $0 { true } else { false } }),
           case .text(let text) = messages[index].parts[last] {
            messages[index].parts[last] = .text(text + "\n\n" + instruction)
        } else {
            messages[index].parts.append(.text(instruction))
        }
    }

    struct Answer {
        var text: String
        var model: String
        var usage: TokenUsage
        var finishReason: String?
    }

    /// `choices[0].message.content`, `finish_reason`, `model` and `usage`; nil content → what is missing, as a reason.
    static func parse(_ body: [UInt8], askedModel: String) -> Result<Answer, WireParseFailure> {
        guard let json = decodeJSON(body) else { return .failure(WireParseFailure("the body is not JSON")) }
        guard let choice = json["choices"]?.arrayValue?.first, let message = choice["message"] else {
            return .failure(WireParseFailure("no choices[0].message"))
        }
        let text: String
        switch message["content"] {
        case .string(let s)?: text = s
        case .array(let parts)?:
            // Some servers answer with content parts.
            text = parts.compactMap { $0["text"]?.stringValue }.joined()
        default:
            return .failure(WireParseFailure("choices[0].message.content is not text"))
        }
        return .success(Answer(text: text, model: json["model"]?.stringValue ?? askedModel, usage: usage(json["usage"]),
                               finishReason: choice["finish_reason"]?.stringValue))
    }
}

struct WireParseFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

func jpegDataURI(_ bytes: [UInt8]) -> String { "data:image/jpeg;base64," + Data(bytes).base64EncodedString() }

func decodeJSON(_ body: [UInt8]) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body)) }

func encodeJSON(_ value: JSONValue) -> [UInt8] { Array(value.jsonText.utf8) }

/// `usage` in OpenAI's shape; absent fields are 0, absent total is prompt + completion.
func usage(_ json: JSONValue?) -> TokenUsage {
    func int(_ key: String) -> Int? {
        switch json?[key] {
        case .number(let n)?: return Int(n)
        case .bool(let b)?: return b ? 1 : 0
        default: return nil
        }
    }
    let prompt = int("prompt_tokens") ?? 0, completion = int("completion_tokens") ?? 0
    return TokenUsage(promptTokens: prompt, completionTokens: completion, totalTokens: int("total_tokens") ?? prompt + completion)
}
