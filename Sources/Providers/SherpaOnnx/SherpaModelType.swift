import Foundation

/// The files each supported sherpa-onnx offline model type needs in its directory, as published on
/// the sherpa-onnx model release page, and the check that finds them before any path reaches C.
public enum SherpaModelType: String, Sendable, CaseIterable, Codable {
    case whisper
    case moonshine
    case senseVoice = "sense_voice"

    /// One file the model needs: the C config field it fills, the names that satisfy it (an int8
    /// variant is preferred when both are present: smaller and faster on CPU), and how to show it.
    struct Requirement: Sendable {
        var field: String
        var pattern: String
        var matches: @Sendable (String) -> Bool
        var isInt8: @Sendable (String) -> Bool = { $0.hasSuffix(".int8.onnx") }
    }

    /// `name.onnx` or `name.int8.onnx`.
    private static func exact(_ field: String, _ stem: String) -> Requirement {
        Requirement(field: field, pattern: "\(stem).onnx (or \(stem).int8.onnx)") { $0 == "\(stem).onnx" || $0 == "\(stem).int8.onnx" }
    }

    /// `PREFIX-suffix.onnx` or `PREFIX-suffix.int8.onnx`, e.g. `tiny.en-encoder.onnx`.
    private static func prefixed(_ field: String, _ suffix: String) -> Requirement {
        Requirement(field: field, pattern: "*-\(suffix).onnx (or *-\(suffix).int8.onnx)") {
            $0.hasSuffix("-\(suffix).onnx") || $0.hasSuffix("-\(suffix).int8.onnx")
        }
    }

    var requirements: [Requirement] {
        switch self {
        case .whisper:
            return [Self.prefixed("encoder", "encoder"), Self.prefixed("decoder", "decoder"),
                    Requirement(field: "tokens", pattern: "*-tokens.txt") { $0.hasSuffix("-tokens.txt") }]
        case .moonshine:
            return [Self.exact("preprocessor", "preprocess"), Self.exact("encoder", "encode"),
                    Self.exact("uncached_decoder", "uncached_decode"), Self.exact("cached_decoder", "cached_decode"),
                    Requirement(field: "tokens", pattern: "tokens.txt") { $0 == "tokens.txt" }]
        case .senseVoice:
            return [Self.exact("model", "model"),
                    Requirement(field: "tokens", pattern: "tokens.txt") { $0 == "tokens.txt" }]
        }
    }

    /// Where to download models of this type (the sherpa-onnx model release and its docs page).
    public var downloadHint: String {
        let release = "https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models"
        switch self {
        case .whisper:
            return "download a Whisper model for sherpa-onnx, e.g. sherpa-onnx-whisper-tiny.en.tar.bz2 from \(release) "
                + "(see https://k2-fsa.github.io/sherpa/onnx/pretrained_models/whisper/), unpack it and set model_dir to its folder"
        case .moonshine:
            return "download a Moonshine model for sherpa-onnx, e.g. sherpa-onnx-moonshine-tiny-en-int8.tar.bz2 from \(release) "
                + "(see https://k2-fsa.github.io/sherpa/onnx/moonshine/models.html), unpack it and set model_dir to its folder"
        case .senseVoice:
            return "download a SenseVoice model for sherpa-onnx, e.g. sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17.tar.bz2 "
                + "from \(release) (see https://k2-fsa.github.io/sherpa/onnx/sense-voice/pretrained.html), "
                + "unpack it and set model_dir to its folder"
        }
    }

    /// The files this model type needs, as patterns (for docs and messages).
    public var requiredFiles: [String] { requirements.map(\.pattern) }

    /// Finds every required file in `directory`, by C config field name. Throws `.modelMissing`
    /// when the directory does not exist and `.modelIncomplete` listing every file not found.
    public func locateFiles(in directory: String) throws(SherpaOnnxError) -> [String: String] {
        guard ModelFile.isDirectory(directory) else {
            throw SherpaOnnxError(.modelMissing, "\(rawValue) model directory \(directory) does not exist", hint: downloadHint)
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        var found: [String: String] = [:]
        var missing: [String] = []
        for requirement in requirements {
            let candidates = names.filter(requirement.matches)
                .map { (directory as NSString).appendingPathComponent($0) }
                .filter(ModelFile.isUsable)
            guard let chosen = candidates.first(where: { requirement.isInt8(($0 as NSString).lastPathComponent) })
                    ?? candidates.first else {
                missing.append(requirement.pattern)
                continue
            }
            found[requirement.field] = chosen
        }
        guard missing.isEmpty else {
            throw SherpaOnnxError(
                .modelIncomplete,
                "\(rawValue) model directory \(directory) is missing \(missing.joined(separator: ", "))",
                hint: downloadHint, missingFiles: missing)
        }
        return found
    }
}
