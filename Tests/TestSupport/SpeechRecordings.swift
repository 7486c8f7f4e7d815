import Foundation

/// Real recorded speech with reference transcripts, from Debian's `pocketsphinx-testdata`.
public struct SpeechRecording: Sendable {
    public static let testData = "/usr/share/pocketsphinx/test/data"

    public var name: String
    /// A 16 kHz mono 16-bit WAV, or headerless little-endian PCM at that rate (`.raw`).
    public var path: String
    public var reference: String

    public var isRaw: Bool { path.hasSuffix(".raw") }

    /// The five LibriVox sentences (Sense and Sensibility) with their `transcription`, and the
    /// `goforward` command, whose words the package's goforward.gram/.kws spell out.
    public static func all() throws -> [SpeechRecording] {
        let dir = testData + "/librivox"
        let lines = try String(contentsOfFile: dir + "/transcription", encoding: .utf8)
            .split(whereSeparator: \.isNewline)
        var recordings = [goForward]
        for line in lines {
            // "<s> words ... </s> (file-id)"
            guard let open = line.lastIndex(of: "("), let close = line.lastIndex(of: ")") else { continue }
            let id = String(line[line.index(after: open)..<close])
            let words = line[..<open].split(separator: " ").filter { $0 != "<s>" && $0 != "</s>" }
            recordings.append(SpeechRecording(name: id, path: "\(dir)/\(id).wav", reference: words.joined(separator: " ")))
        }
        return recordings
    }

    public static let goForward = SpeechRecording(name: "goforward", path: testData + "/goforward.raw",
                                                  reference: "go forward ten meters")

    /// True when the test data package is installed.
    public static var isInstalled: Bool { FileManager.default.fileExists(atPath: testData + "/librivox/transcription") }

    /// ffmpeg input arguments that read this recording.
    public var ffmpegInput: [String] {
        (isRaw ? ["-f", "s16le", "-ar", "16000", "-ac", "1"] : []) + ["-i", path]
    }

    /// The samples as float -1...1 (16 kHz mono), read directly from the file (no FFmpeg).
    public func samples() throws -> [Float] {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        if !isRaw { data = try Self.wavData(data, path: path) }
        return data.withUnsafeBytes { raw in
            raw.bindMemory(to: Int16.self).map { Float(Int16(littleEndian: $0)) / 32768 }
        }
    }

    public var duration: Double {
        get throws { Double(try samples().count) / 16000 }
    }

    /// The bytes of a RIFF/WAVE file's `data` chunk.
    private static func wavData(_ data: Data, path: String) throws -> Data {
        let bytes = [UInt8](data)
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            if id == "data" { return Data(bytes[(offset + 8)..<min(bytes.count, offset + 8 + size)]) }
            offset += 8 + size + (size & 1)
        }
        throw CommandFailure(command: "read WAV", status: 1, stderr: "\(path): no data chunk")
    }
}

/// Word error rate: (substitutions + deletions + insertions) / reference words, after `normalize`.
public enum WordErrorRate {
    public struct Count: Sendable {
        public var errors: Int
        public var referenceWords: Int
        public init(errors: Int = 0, referenceWords: Int = 0) {
            self.errors = errors
            self.referenceWords = referenceWords
        }
        public var rate: Double { referenceWords == 0 ? 0 : Double(errors) / Double(referenceWords) }
        public static func + (a: Count, b: Count) -> Count {
            Count(errors: a.errors + b.errors, referenceWords: a.referenceWords + b.referenceWords)
        }
    }

    /// Lower case, punctuation dropped (apostrophes kept), "mr" spelled "mister" as the LibriVox reference does.
    public static func normalize(_ text: String) -> [String] {
        let spellings = ["mr": "mister", "mrs": "missus"]
        return text.lowercased()
            .map { $0.isLetter || $0.isNumber || $0 == "'" ? $0 : " " }
            .split(separator: " ")
            .map { spellings[String($0)] ?? String($0) }
    }

    /// Levenshtein distance over words.
    public static func count(reference: String, hypothesis: String) -> Count {
        let ref = normalize(reference), hyp = normalize(hypothesis)
        var previous = Array(0...hyp.count)
        for i in 1...max(1, ref.count) where !ref.isEmpty {
            var current = [i] + Array(repeating: 0, count: hyp.count)
            for j in stride(from: 1, through: hyp.count, by: 1) {
                let substitution = previous[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            previous = current
        }
        return Count(errors: ref.isEmpty ? hyp.count : previous[hyp.count], referenceWords: ref.count)
    }
}

/// A percentage with one decimal, e.g. "12.5".
public func percent(_ fraction: Double) -> String { String(format: "%.1f", fraction * 100) }

/// Debian's `pocketsphinx_continuous` on one recording with the default en-us model.
public enum PocketSphinxCLI {
    /// The recognised text (one line per utterance the CLI's own VAD found, joined).
    public static func transcribe(_ recording: SpeechRecording) throws -> String {
        let out = try runCommand("pocketsphinx_continuous", ["-infile", recording.path, "-logfn", "/dev/null"])
        return out.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
