import Foundation
import ModelAPI

/// One few-shot example of `reason.llm`: an excerpt of a video record (as `reason.llm` renders it, or any
/// text in that spirit) and the answer the model should give for it. Sent as a user turn (the excerpt,
/// delimited like the real record, then the same instruction) and an assistant turn (the answer),
/// before the real request.
///
/// ```yaml
/// examples:
///   - record: |
///       [shot 0 | 0.0–4.0 s]
///       on-screen text (0.5 s): CITY COUNCIL
///       speech (1.0–3.5 s): the vote on the new bridge is tonight
///     answer: "A council meeting previews tonight's bridge vote."
/// ```
public struct RecordExample: Codable, Sendable, Equatable, Hashable {
    public var record: String
    public var answer: String

    public init(record: String, answer: String) {
        self.record = record
        self.answer = answer
    }

    static let keys = ["record", "answer"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ParameterKey.self)
        if let unknown = container.allKeys.first(where: { !Self.keys.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: container,
                debugDescription: "unknown key '\(unknown.stringValue)' in an example; an example takes record and answer")
        }
        record = try container.decodeIfPresent(String.self, forKey: ParameterKey(stringValue: "record")) ?? ""
        answer = try container.decodeIfPresent(String.self, forKey: ParameterKey(stringValue: "answer")) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ParameterKey.self)
        try container.encode(record, forKey: ParameterKey(stringValue: "record"))
        try container.encode(answer, forKey: ParameterKey(stringValue: "answer"))
    }

    /// Checks the `n`-th example (0-based); `json`: the task answers in JSON, so the answer must be JSON.
    func check(_ n: Int, json: Bool) throws(ParameterError) {
        let shape = "{ record: \"[shot 0 | 0.0–4.0 s]\\nspeech (1.0–3.5 s): …\", answer: \"…\" }"
        if record.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ParameterError(key: "examples", "examples[\(n)] has no record", hint: "e.g. examples: [\(shape)]")
        }
        if answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ParameterError(key: "examples", "examples[\(n)] has no answer", hint: "e.g. examples: [\(shape)]")
        }
        if json && JSONValue.parse(answer)?.objectValue == nil {
            throw ParameterError(key: "examples", "examples[\(n)]: this task answers in JSON, and the example's answer is not a JSON object",
                                 hint: "write the answer the model should give, e.g. answer: '{\"tags\": [\"council\", \"bridge\"]}'")
        }
    }

    /// The turns sent before the real request: the excerpt delimited like the record, then `prompt`; the answer.
    func turns(prompt: String) -> [ChatMessage] {
        [.user(VideoRecordText.wrap(VideoRecordText.defuse(record)) + "\n\n" + prompt), .assistant(answer)]
    }
}
