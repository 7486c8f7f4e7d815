import Foundation
import Testing
@testable import Stages

/// The encoded parameters are hashed into every stage's fingerprint: if this JSON changes, every
/// stored result is recomputed. The pins were computed on the hand-written decoders, before the
/// keys came from `fields`; changing one must be deliberate.
@Suite("Stage parameters: the fingerprinted JSON")
struct ParameterPinTests {
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // as PipelineGraph encodes them
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func defaultJSON<S: StageType>(_ type: S.Type) throws -> String { try json(S.Parameters()) }

    static func decodedJSON<S: StageType>(_ type: S.Type, _ with: String) throws -> String {
        try json(JSONDecoder().decode(S.Parameters.self, from: Data(with.utf8)))
    }

    static let defaults: [String: String] = [
        "frames.sample": #"{"at":[],"every":5,"fps":1,"max_size":320,"policy":"interval","quality":75,"snap":"exact"}"#,
        "shots.detect": #"{"adaptive_threshold":3,"analysis_filter":"area","analysis_width":128,"flash_filter":true,"gradual":true,"min_content":15,"min_length":1,"mode":"content","threshold":27,"window":2}"#,
        "frames.keyframes": #"{"candidates":3,"max_size":320,"quality":75}"#,
        "audio.segments": #"{"engine":"energy","hysteresis_db":6,"min_silence":0.4,"min_speech":0.2,"speech_db":-35,"window":0.02}"#,
        "text.ocr": #"{"data_path":"","engine":"tesseract","lang":"eng","max_size":1280,"min_confidence":0.5,"reuse_distance":4,"workers":1}"#,
        "speech.transcribe": #"{"engine":"whisper","language":"","max_segment":30,"model":"","model_type":"whisper","padding":0.2,"threads":0,"workers":1}"#,
        "speech.segments": #"{"engine":"silero","min_silence":0.5,"min_speech":0.25,"model":"","padding":0.1,"threshold":0.5}"#,
        "captions.export": #"{"formats":["vtt","srt"],"max_chars":42,"max_duration":7,"max_lines":2,"min_duration":1,"out_dir":"","pause":0.5}"#,
        "captions.translate": #"{"batch_size":20,"context":3,"formats":["vtt","srt"],"languages":[],"max_chars":42,"max_lines":2,"max_tokens":2048,"model":"","out_dir":"","temperature":0.2}"#,
        "frames.caption": #"{"examples":[],"max_tokens":150,"model":"","prompt":"","reuse_distance":4,"temperature":0.2}"#,
        "timeline.fuse": #"{"min_overlap":0.25}"#,
        "reason.llm": #"{"chapters_file":true,"context_tokens":6000,"max_tokens":1024,"model":"","out_dir":"","prompt":"","questions":[],"task":"summary","temperature":0.2}"#,
        "embed.text": #"{"batch_size":32,"max_chars":2000,"model":""}"#,
        "reason.shot": #"{"max_images":4,"max_tokens":300,"model":"","prompt":"","temperature":0.2}"#,
        "embed.frames": #"{"batch_size":8,"format":"auto","model":""}"#,
    ]

    @Test("the default parameters of every registered stage type encode as pinned")
    func defaultParameters() throws {
        #expect(Set(StageRegistry.builtin.map { $0.name }) == Set(Self.defaults.keys), "pin the defaults of a new stage type here")
        for type in StageRegistry.builtin {
            #expect(try Self.defaultJSON(type) == Self.defaults[type.name], "\(type.name)")
        }
    }

    /// Set keys (optional ones, durations, choices, lists, a JSON schema), an explicit null, and the JSON they encode to.
    static let decoded: [(stage: String, with: String, json: String)] = [
        ("shots.detect", #"{"mode": "adaptive", "analysis_filter": "bilinear", "min_length": "500ms", "threshold": null}"#,
         #"{"adaptive_threshold":3,"analysis_filter":"bilinear","analysis_width":128,"flash_filter":true,"gradual":true,"min_content":15,"min_length":0.5,"mode":"adaptive","threshold":27,"window":2}"#),
        ("frames.sample", #"{"policy": "timestamps", "at": [1, "1500ms", "1m"], "snap": "keyframe", "every": 2.5}"#,
         #"{"at":[1,1.5,60],"every":2.5,"fps":1,"max_size":320,"policy":"timestamps","quality":75,"snap":"keyframe"}"#),
        ("speech.transcribe",
         #"{"engine": "sherpa", "model_dir": "/m", "lm": "/l.lm", "dict": "/d.dic", "padding": "350ms", "max_segment": "1m", "model_type": "moonshine", "language": "de", "workers": 2, "threads": 3}"#,
         #"{"dict":"\/d.dic","engine":"sherpa","language":"de","lm":"\/l.lm","max_segment":60,"model":"","model_dir":"\/m","model_type":"moonshine","padding":0.35000000000000003,"threads":3,"workers":2}"#),
        ("speech.segments", #"{"engine": "energy", "threshold": 0.3, "model": "/v.onnx"}"#,
         #"{"engine":"energy","min_silence":0.5,"min_speech":0.25,"model":"\/v.onnx","padding":0.1,"threshold":0.3}"#),
        ("captions.export", #"{"formats": ["srt"], "out_dir": "subs", "pause": "300ms"}"#,
         #"{"formats":["srt"],"max_chars":42,"max_duration":7,"max_lines":2,"min_duration":1,"out_dir":"subs","pause":0.3}"#),
        ("reason.llm", #"{"task": "custom", "prompt": "p", "schema": {"type": "object", "required": ["a"]}, "max_tokens": 10, "chapters_file": false}"#,
         #"{"chapters_file":false,"context_tokens":6000,"max_tokens":10,"model":"","out_dir":"","prompt":"p","questions":[],"schema":{"required":["a"],"type":"object"},"task":"custom","temperature":0.2}"#),
        ("frames.caption", #"{"examples": [{"image": "a.jpg", "caption": "c"}], "temperature": 0.7}"#,
         #"{"examples":[{"caption":"c","image":"a.jpg"}],"max_tokens":150,"model":"","prompt":"","reuse_distance":4,"temperature":0.7}"#),
        ("text.ocr", #"{"data_path": "/t", "min_confidence": 0.25, "reuse_distance": -1}"#,
         #"{"data_path":"\/t","engine":"tesseract","lang":"eng","max_size":1280,"min_confidence":0.25,"reuse_distance":-1,"workers":1}"#),
    ]

    @Test("decoded parameters encode as pinned")
    func decodedParameters() throws {
        for sample in Self.decoded {
            let type = try #require(StageRegistry.type(named: sample.stage))
            #expect(try Self.decodedJSON(type, sample.with) == sample.json, "\(sample.stage) \(sample.with)")
        }
    }

    static func fieldsAreConsistent<S: StageType>(_ type: S.Type) {
        let names = S.Parameters.fields.map(\.name)
        #expect(Set(names).count == names.count, "\(S.name) lists a key twice")
        #expect(names.allSatisfy { $0.wholeMatch(of: /[a-z][a-z0-9_]*/) != nil }, "\(S.name): keys are snake_case")
        for field in S.Parameters.fields where field.defaultText != nil {
            // A written default may only stand for an empty one; a real value is shown as encoded, so it cannot drift.
            #expect(["\"\"", "none", "[]"].contains(field.encodedDefaultText), "\(S.name).\(field.name): its default is \(field.encodedDefaultText)")
        }
    }

    @Test("keys are unique snake_case, and a written default only stands for an empty one")
    func fields() {
        for type in StageRegistry.builtin { Self.fieldsAreConsistent(type) }
    }

    /// Keys a stage type cannot default (what to translate into), set to make its defaults valid.
    static let required: [String: String] = ["captions.translate": #"{"languages": ["de"]}"#]

    @Test("defaults are valid (with only the required keys set), and every property validate() checks is a field (its key is named from the field)")
    func defaultsValidate() throws {
        func validate<S: StageType>(_ type: S.Type) throws {
            guard let with = Self.required[S.name] else { return try S.Parameters().validate() }
            #expect(throws: ParameterError.self, "\(S.name) without its required keys") { try S.Parameters().validate() }
            try JSONDecoder().decode(S.Parameters.self, from: Data(with.utf8)).validate()
        }
        for type in StageRegistry.builtin { try validate(type) }
    }
}
