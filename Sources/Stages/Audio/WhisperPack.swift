import Foundation
import SherpaOnnx

/// Speech windows packed into one Whisper input: their samples back to back (the silences between
/// them left out), at most `maxSeconds` long, so one encoder pass and one decode serve several
/// short utterances. `pieces` maps times in the packed audio back to media time.
struct WhisperPack: Sendable {
    struct Piece: Sendable, Equatable {
        /// Media time of the piece's first sample.
        var mediaStart: Double
        /// Offset of the piece in the packed samples, seconds.
        var packedStart: Double
        var duration: Double
        var mediaEnd: Double { mediaStart + duration }
    }

    /// Whisper reads a 30-s window; 28 s leaves room for the tail padding that lets it find the end.
    static let maxSeconds = 28.0
    /// Silent feature frames (10 ms) sherpa-onnx appends after the audio (its default is 1000).
    static let tailPaddingFrames = 1000
    static let rate = Double(SherpaOfflineRecognizer.sampleRate)

    var samples: [Float] = []
    var pieces: [Piece] = []

    var duration: Double { Double(samples.count) / Self.rate }
    var isEmpty: Bool { samples.isEmpty }

    /// True when `count` more samples still fit.
    func fits(_ count: Int) -> Bool {
        samples.isEmpty || Double(samples.count + count) / Self.rate <= Self.maxSeconds
    }

    mutating func append<Samples: Collection<Float>>(_ piece: Samples, mediaStart: Double) {
        pieces.append(Piece(mediaStart: mediaStart, packedStart: duration, duration: Double(piece.count) / Self.rate))
        samples.append(contentsOf: piece)
    }

    /// Splits a window longer than `maxSeconds` into parts cut at the quietest 20 ms near each limit.
    static func parts(of samples: [Float]) -> [Range<Int>] {
        SherpaTranscriber.pieces(samples, maxSamples: Int(maxSeconds * rate))
    }
}
