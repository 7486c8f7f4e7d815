import Foundation
import MediaIO

/// `frames.keyframes`: one representative still per shot, the sharpest of a few candidates taken
/// from the middle of the shot.
public struct FramesKeyframes: StageType {
    public static let name = "frames.keyframes"
    public static let summary = "Pick one representative still per shot: the sharpest of a few mid-shot candidates"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.shots]
    public static let outputKind: DataKind = .frames
    public static let media: MediaNeed = .video

    public struct Parameters: StageParameters {
        public var candidates = 3
        public var maxSize = 320
        public var quality = 75

        public init() {}

        public func validate() throws(ParameterError) {
            try check(\.candidates, 1...15)
            try check(\.maxSize, 16...4096)
            try check(\.quality, 1...100)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("candidates", \.candidates, "integer",
                           "frames tried per shot, spread over its middle (35 %–65 %); the sharpest is kept"),
            ParameterField("max_size", \.maxSize, "integer (pixels)", "longest side of the thumbnail"),
            ParameterField("quality", \.quality, "integer 1–100", "JPEG quality"),
        ]
    }

    /// Fractions of a shot's length where candidates are taken: 0.5 for one, else evenly from 0.35 to 0.65.
    static func candidateFractions(count: Int) -> [Double] {
        guard count > 1 else { return [0.5] }
        let last = Double(count - 1)
        return (0..<count).map { k in (0.35 * (last - Double(k)) + 0.65 * Double(k)) / last }
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard context.info.hasVideo else { return .skip(reason: "no video stream") }
        guard case .shots(let shots)? = context.input(.shots) else {
            throw ParameterError(key: "from", "frames.keyframes needs the shots of an upstream stage",
                                 hint: "add from: with a shots.detect stage")
        }
        let fractions = candidateFractions(count: parameters.candidates)
        let times = shots.flatMap { shot in fractions.map { shot.start + (shot.end - shot.start) * $0 } }
        guard !times.isEmpty else { return .compute { .frames([]) } }
        let request = FrameRequest(policy: .timestamps(times), maxWidth: parameters.maxSize,
                                   maxHeight: parameters.maxSize, layout: .rgb24)
        let sink = FramesKeyframesSink(shots: shots, encoder: try StillFrameEncoder(quality: parameters.quality))
        return .video(request, sink)
    }
}

/// Keeps the sharpest candidate of the current shot and encodes it once the frames move past the
/// shot; used on the decode pass's serial queue only.
final class FramesKeyframesSink: VideoFrameSink {
    private let shots: [ShotSpan]
    private let encoder: StillFrameEncoder
    private var best: (shot: Int, sharpness: Double, frame: VideoFrame)?
    private var stills: [SampledFrame] = []

    init(shots: [ShotSpan], encoder: StillFrameEncoder) {
        self.shots = shots.sorted { $0.start < $1.start }
        self.encoder = encoder
    }

    func consume(_ frame: VideoFrame) throws {
        guard let shot = shotPosition(containing: frame.targetTime ?? frame.time) else { return }
        if let current = best, current.shot != shot { try emitBest() }
        let sharpness = Sharpness.laplacianVariance(frame)
        if best == nil || sharpness > best!.sharpness {
            best = (shot, sharpness, frame)
        }
    }

    func finish() throws -> StageOutput {
        try emitBest()
        return .frames(stills)
    }

    private func emitBest() throws {
        guard let current = best else { return }
        stills.append(try encoder.still(from: current.frame, shotIndex: shots[current.shot].index))
        best = nil
    }

    /// Position in `shots` of the shot whose [start, end) holds `time` (binary search).
    private func shotPosition(containing time: Double) -> Int? {
        var low = 0, high = shots.count
        while low < high {
            let mid = (low + high) / 2
            if shots[mid].end <= time { low = mid + 1 } else { high = mid }
        }
        return low < shots.count && shots[low].start <= time ? low : nil
    }
}
