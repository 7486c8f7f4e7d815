import Foundation

/// Real recorded speech (Debian's pocketsphinx-testdata LibriVox clips) placed with the ffmpeg CLI
/// at known times between stretches of silence, for voice activity tests.
public enum SpeechLayoutFixture {
    public static let librivox = "/usr/share/pocketsphinx/test/data/librivox"
    /// Two short sentences: "he was not an ill disposed young man" (2.99 s), "he might even have
    /// been made amiable himself" (3.29 s). Each opens with about 0.24 s of near-silence, trimmed here.
    public static let clips = ["sense_and_sensibility_01_austen_64kb-0880.wav", "sense_and_sensibility_01_austen_64kb-0930.wav"]
    public static let leadIn = 0.25

    public static var isAvailable: Bool {
        clips.allSatisfy { FileManager.default.fileExists(atPath: "\(librivox)/\($0)") }
    }

    public struct Layout: Sendable {
        public var path: String
        /// Where speech is, in seconds.
        public var speech: [(start: Double, end: Double)]
        public var duration: Double
    }

    /// What goes under the whole layout.
    public enum Bed: Sendable {
        case none
        /// Pink noise at `amplitude` plus a soft A-minor chord: a stand-in for music under speech.
        case musicAndNoise(amplitude: Double)
    }

    /// silence `gaps[0]`, clip 1, silence `gaps[1]`, clip 2, silence `gaps[2]`, written as 16 kHz
    /// mono WAV (`format: "wav"`) or as 32-bit float raw samples (`format: "f32le"`).
    public static func make(at path: String, gaps: [Double] = [2, 3, 2], bed: Bed = .none, format: String = "wav") throws -> Layout {
        precondition(gaps.count == 3)
        let durations = try clips.map { try clipDuration("\(librivox)/\($0)") - leadIn }
        var inputs: [String] = []
        for (i, gap) in gaps.enumerated() {
            inputs += ["-f", "lavfi", "-t", "\(gap)", "-i", "anullsrc=r=16000:cl=mono"]
            if i < clips.count { inputs += ["-i", "\(librivox)/\(clips[i])"] }
        }
        // Inputs: 0 silence, 1 clip, 2 silence, 3 clip, 4 silence.
        var graph = "[1]atrim=start=\(leadIn),asetpts=PTS-STARTPTS,aformat=sample_rates=16000:channel_layouts=mono[a];"
            + "[3]atrim=start=\(leadIn),asetpts=PTS-STARTPTS,aformat=sample_rates=16000:channel_layouts=mono[b];"
            + "[0][a][2][b][4]concat=n=5:v=0:a=1[speech]"
        let total = gaps.reduce(0, +) + durations.reduce(0, +)
        switch bed {
        case .none:
            graph += ";[speech]anull[out]"
        case .musicAndNoise(let amplitude):
            inputs += ["-f", "lavfi", "-i", "anoisesrc=r=16000:c=pink:a=\(amplitude):d=\(total):seed=7",
                       "-f", "lavfi", "-i",
                       "aevalsrc='\(amplitude)*(sin(2*PI*220*t)+sin(2*PI*261.63*t)+sin(2*PI*329.63*t))*(0.6+0.4*sin(2*PI*2*t))':s=16000:d=\(total)"]
            graph += ";[speech][5][6]amix=inputs=3:duration=first:normalize=0[out]"
        }
        let output = format == "f32le" ? ["-f", "f32le", "-ac", "1", "-ar", "16000"] : ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"]
        try ffmpeg(inputs + ["-filter_complex", graph, "-map", "[out]"] + output, output: path)
        let first = gaps[0], second = gaps[0] + durations[0] + gaps[1]
        return Layout(path: path, speech: [(first, first + durations[0]), (second, second + durations[1])], duration: total)
    }

    /// Raw little-endian float32 samples, as written with `format: "f32le"`.
    public static func readFloats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func clipDuration(_ path: String) throws -> Double {
        let out = try runCommand("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
        guard let seconds = Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CommandFailure(command: "ffprobe \(path)", status: 0, stderr: "no duration in '\(out)'")
        }
        return seconds
    }
}
