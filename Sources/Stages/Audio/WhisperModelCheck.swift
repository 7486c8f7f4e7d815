import Foundation
import SherpaOnnx

/// What `vidpipe models verify` runs after the checksums: load an installed Whisper model the way
/// `speech.transcribe` does and transcribe a short recording with it.
public enum WhisperModelCheck {
    public struct Report: Sendable {
        public var directory: String
        public var multilingual: Bool
        public var languages: [String]
        /// The text heard in the sample (empty for silence).
        public var text: String
        public var loadAndDecodeSeconds: Double
    }

    /// Locates `name` (throwing the same one-line error as pipeline validation), loads it and
    /// decodes `samples` (16 kHz mono). Runs on the calling thread, which must not be a Swift
    /// concurrency thread: sherpa-onnx blocks.
    public static func run(name: String, samples: [Float]) throws -> Report {
        let folder = try WhisperModelFolder.locate(name: name)
        let started = Date()
        let key = WhisperRecognizers.Key(directory: folder.directory, language: folder.multilingual ? "" : "en",
                                         threads: ProcessInfo.processInfo.activeProcessorCount)
        let recognition = try WhisperRecognizers.shared.withRecognizer(key) { try $0.recognize(samples: samples) }
        return Report(directory: folder.directory, multilingual: folder.multilingual, languages: folder.languages,
                      text: recognition.text, loadAndDecodeSeconds: Date().timeIntervalSince(started))
    }

    /// Names the catalog knows, and where models are looked for.
    public static var catalog: [String] { WhisperModelFolder.catalog }
    public static var root: String { WhisperModelFolder.root }
}
