/// A failure in the sherpa-onnx wrapper: what failed, on which file, and what to do about it.
public struct SherpaOnnxError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A model file or directory does not exist (or is not readable).
        case modelMissing = "model missing"
        /// A model directory lacks some of the files its model type needs.
        case modelIncomplete = "model incomplete"
        /// A setting is out of range or unknown.
        case invalidSetting = "invalid setting"
        /// sherpa-onnx refused the configuration or failed while running.
        case engineFailed = "engine failed"
    }

    public var code: Code
    public var message: String
    /// What to do about it.
    public var hint: String?
    /// For `.modelIncomplete`: the files that are missing, as patterns (e.g. `*-encoder.onnx`).
    public var missingFiles: [String]

    public init(_ code: Code, _ message: String, hint: String? = nil, missingFiles: [String] = []) {
        self.code = code
        self.message = message
        self.hint = hint
        self.missingFiles = missingFiles
    }

    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}
