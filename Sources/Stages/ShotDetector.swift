import MediaIO

/// PySceneDetect-style content detector: fed small frames one at a time in presentation order,
/// it scores each frame against the previous one in HSV space and places cuts where the score
/// jumps. Not thread-safe; a stage's sink owns it on its serial queue.
///
/// Score = weighted mean of the mean absolute H, S, V (and optionally value-edge) differences,
/// each on a 0–255 scale. A cut's time is the time of the first frame of the new shot.
public struct ShotDetector {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// A cut where the score reaches `threshold`.
        case content
        /// A cut where the score stands out from its neighbours by `adaptiveThreshold` times.
        case adaptive
    }

    public struct Settings: Sendable, Equatable {
        public var mode: Mode = .content
        public var threshold: Double = 27
        public var adaptiveThreshold: Double = 3.0
        public var minContent: Double = 15
        /// Frames on each side averaged in adaptive mode.
        public var window: Int = 2
        /// Seconds; no shot is shorter (except a whole clip that is).
        public var minLength: Double = 1.0
        /// Reject cuts whose following frames come back to the pre-cut picture (camera flashes).
        public var flashFilter: Bool = true
        /// Frames after a candidate cut in which a return to the pre-cut picture marks a flash.
        public var flashFrames: Int = 3
        /// Weight of the luma-edge component relative to H, S and V (each weight 1); 0 turns it off.
        public var edgeWeight: Double = 0
        public init() {}
    }

    private struct FrameRecord {
        var time: Double
        /// Score against the previous frame; nil for the first frame and after a size change.
        var score: Double?
        var hsv: HSVFrame
    }

    public let settings: Settings
    /// Recent frames; `records[0]` has absolute index `firstRecordIndex`.
    private var records: [FrameRecord] = []
    private var firstRecordIndex = 0
    private var frameCount = 0
    /// Absolute index of the next frame whose cut decision is pending.
    private var nextDecision = 0
    /// Frames up to and including this index are part of a detected flash and cannot be cuts.
    private var suppressedThrough = -1
    private var lastCutTime = 0.0
    private var lastFrameTime: Double?
    public private(set) var cuts: [Double] = []

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Frames needed after a frame before its decision is final.
    private var lookahead: Int {
        max(settings.mode == .adaptive ? settings.window : 0, settings.flashFilter ? settings.flashFrames : 0)
    }

    /// Feeds the next frame (presentation order). Small frames (~128 px wide) are plenty.
    public mutating func process(time: Double, frame: VideoFrame) {
        let hsv = HSVFrame(frame, withEdges: settings.edgeWeight > 0)
        var score: Double?
        if let previous = records.last, previous.hsv.sameSize(as: hsv) {
            score = combinedScore(previous.hsv.difference(to: hsv))
        }
        records.append(FrameRecord(time: time, score: score, hsv: hsv))
        frameCount += 1
        lastFrameTime = time
        while nextDecision + lookahead < frameCount {
            decide(nextDecision)
            nextDecision += 1
        }
        // Keep what decisions still look back at: the window of scores and the pre-cut frame.
        let keepFrom = nextDecision - max(settings.window, 1) - 1
        if keepFrom > firstRecordIndex {
            records.removeFirst(keepFrom - firstRecordIndex)
            firstRecordIndex = keepFrom
        }
    }

    /// Decides the frames still pending and returns the shots covering [0, endTime).
    public mutating func finish(endTime: Double) -> [ShotSpan] {
        while nextDecision < frameCount {
            decide(nextDecision)
            nextDecision += 1
        }
        var boundaries = cuts.filter { $0 > 0 && $0 < endTime }
        // The last shot must not be shorter than min_length either: merge it into the one before.
        if let last = boundaries.last, endTime - last < settings.minLength {
            boundaries.removeLast()
        }
        let end = max(endTime, boundaries.last ?? 0, lastFrameTime ?? 0)
        guard end > 0 else { return [] }
        var shots: [ShotSpan] = []
        var start = 0.0
        for (index, cut) in (boundaries + [end]).enumerated() {
            shots.append(ShotSpan(index: index, start: start, end: cut))
            start = cut
        }
        return shots
    }

    private func combinedScore(_ d: HSVFrame.Difference) -> Double {
        let edgeWeight = max(0, settings.edgeWeight)
        return (d.hue + d.saturation + d.value + d.edges * edgeWeight) / (3 + edgeWeight)
    }

    private func record(_ index: Int) -> FrameRecord? {
        let i = index - firstRecordIndex
        return i >= 0 && i < records.count ? records[i] : nil
    }

    private mutating func decide(_ index: Int) {
        guard index > suppressedThrough, let current = record(index), let score = current.score else { return }
        guard isCandidate(index, score: score) else { return }
        guard current.time - lastCutTime >= settings.minLength else { return }
        if settings.flashFilter, let returnIndex = flashReturn(after: index) {
            suppressedThrough = returnIndex
            return
        }
        cuts.append(current.time)
        lastCutTime = current.time
    }

    private func isCandidate(_ index: Int, score: Double) -> Bool {
        switch settings.mode {
        case .content:
            return score >= settings.threshold
        case .adaptive:
            guard score >= settings.minContent else { return false }
            var sum = 0.0, count = 0
            for offset in 1...max(1, settings.window) {
                for neighbour in [index - offset, index + offset] {
                    if let s = record(neighbour)?.score {
                        sum += s
                        count += 1
                    }
                }
            }
            guard count > 0 else { return true }
            let mean = sum / Double(count)
            return mean < 1e-6 || score / mean >= settings.adaptiveThreshold
        }
    }

    /// The index of a frame shortly after `index` that looks like the frame before it, if any.
    private func flashReturn(after index: Int) -> Int? {
        guard let before = record(index - 1) else { return nil }
        let lastIndex = min(index + settings.flashFrames, frameCount - 1)
        guard lastIndex > index else { return nil }
        for j in (index + 1)...lastIndex {
            guard let after = record(j), after.hsv.sameSize(as: before.hsv) else { continue }
            if combinedScore(before.hsv.difference(to: after.hsv)) < settings.threshold / 2 {
                return j
            }
        }
        return nil
    }
}
