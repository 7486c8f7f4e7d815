import MediaIO

/// PySceneDetect-style content detector: fed small frames one at a time in presentation order,
/// it scores each frame against the previous one in HSV space and places cuts where the score
/// jumps. Not thread-safe; a stage's sink owns it on its serial queue.
///
/// Score = weighted mean of the mean absolute H, S, V (and optionally value-edge) differences,
/// each on a 0–255 scale. A cut's time is the time of the first frame of the new shot.
///
/// Gradual transitions (fades, dissolves, fades through black or white) change the picture a little
/// on every frame, so no single score jumps. With `gradual`, frame i is also tested as the middle of a
/// transition of half-width h: the frames h before and h after it must differ by `threshold`, no frame
/// in between may be a hard cut, and that change must be `gradualContrast` times the change over the h
/// frames before and over the h frames after (steady camera or subject motion changes the picture at
/// a steady rate, so it fails this). The cut goes where half of the transition's frame-to-frame change
/// has happened.
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
        /// Also detect gradual transitions (see the type's documentation).
        public var gradual: Bool = true
        /// Half-widths in frames of the windows tested for gradual transitions (transitions of about
        /// 2h frames are found best; at 25 fps the defaults cover 0.3 s to 2 s).
        public var gradualHalfWidths: [Int] = [6, 12, 24]
        /// How many times the change across a transition must exceed the change just before and after it.
        /// On the bench corpus 2.0 let a fast colour-cycling gradient through as transitions and 2.5 lost
        /// one 40-frame cross-fade between two moving gradients (docs/benchmarks.md).
        public var gradualContrast: Double = 2.5
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
    /// Hard cuts (times), decided as frames arrive.
    private var hardCuts: [Double] = []
    /// Gradual-transition cuts (times), found a few frames after the transition ends.
    private var gradualCuts: [Double] = []
    /// Per half-width: the first and last centre of the current run of frames that pass the gradual test.
    private var gradualRuns: [(first: Int, last: Int)?]
    /// The cuts `finish(endTime:)` placed: hard cuts, then gradual ones at least min_length from any other.
    public private(set) var cuts: [Double] = []

    public init(settings: Settings = Settings()) {
        var settings = settings
        settings.gradualHalfWidths = settings.gradualHalfWidths.filter { $0 > 0 }
        self.settings = settings
        gradualRuns = Array(repeating: nil, count: settings.gradualHalfWidths.count)
    }

    /// Frames kept behind the newest for gradual tests: a centre 2h back, its window 2h further, and a
    /// run of up to `maximumRunLength(h)` centres before it.
    private var gradualHistory: Int {
        guard settings.gradual, let h = settings.gradualHalfWidths.max() else { return 0 }
        return 4 * h + maximumRunLength(h) + 1
    }

    /// Longest run of passing centres that is still one transition; longer runs are steady change.
    private func maximumRunLength(_ h: Int) -> Int { 4 * h }

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
        if settings.gradual {
            for k in settings.gradualHalfWidths.indices { testGradual(k, centre: frameCount - 1 - 2 * settings.gradualHalfWidths[k]) }
        }
        // Keep what decisions still look back at: the window of scores, the pre-cut frame and the frames
        // a flash is compared with, and the gradual tests' history.
        let keepFrom = min(nextDecision - max(settings.window, 1) - settings.flashFrames - 2, frameCount - gradualHistory)
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
        for k in gradualRuns.indices { closeGradualRun(k) }
        cuts = hardCuts
        for t in gradualCuts.sorted() where cuts.allSatisfy({ abs($0 - t) >= settings.minLength }) {
            cuts.append(t)
        }
        cuts.sort()
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
        hardCuts.append(current.time)
        lastCutTime = current.time
    }

    private func distance(_ a: Int, _ b: Int) -> Double? {
        guard let x = record(a), let y = record(b), x.hsv.sameSize(as: y.hsv) else { return nil }
        return combinedScore(x.hsv.difference(to: y.hsv))
    }

    /// Tests frame `centre` as the middle of a gradual transition of half-width h = halfWidths[k] and
    /// extends or closes that half-width's run of passing centres.
    private mutating func testGradual(_ k: Int, centre: Int) {
        let h = settings.gradualHalfWidths[k]
        guard centre - 2 * h >= 0 else { return }
        if passesGradual(centre: centre, h: h) {
            if let run = gradualRuns[k] {
                gradualRuns[k] = (run.first, centre)
                // Steady change for this long is motion, not a transition: the run yields no cut
                // (first = Int.max marks it) until a centre fails the test again.
                if run.first != Int.max && centre - run.first > maximumRunLength(h) { gradualRuns[k] = (Int.max, centre) }
            } else {
                gradualRuns[k] = (centre, centre)
            }
        } else {
            closeGradualRun(k)
        }
    }

    private func passesGradual(centre: Int, h: Int) -> Bool {
        let before = centre - h, after = centre + h
        for j in (before + 1)...after {
            guard let s = record(j)?.score, s < settings.threshold else { return false }
        }
        guard let across = distance(before, after), across >= settings.threshold else { return false }
        guard let pre = distance(before - h, before), across >= settings.gradualContrast * pre else { return false }
        guard let post = distance(after, after + h), across >= settings.gradualContrast * post else { return false }
        return true
    }

    /// Places a cut for the half-width's open run (if any) where half of the change over the run's
    /// span (first − h ... last + h) has happened, and clears the run.
    private mutating func closeGradualRun(_ k: Int) {
        guard let run = gradualRuns[k] else { return }
        gradualRuns[k] = nil
        guard run.first != Int.max else { return }
        let h = settings.gradualHalfWidths[k]
        let span = (run.first - h + 1)...(run.last + h)
        let total = span.reduce(0.0) { $0 + (record($1)?.score ?? 0) }
        var sum = 0.0
        for j in span {
            sum += record(j)?.score ?? 0
            if sum >= total / 2, let frame = record(j) {
                gradualCuts.append(frame.time)
                return
            }
        }
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

    /// The index of a frame shortly after `index` that looks like the frame before it, if any. In a
    /// moving shot the picture after a flash has moved on, so "looks like" also accepts a frame that
    /// differs from the pre-flash frame no more than the shot changed over as many frames before the
    /// flash, provided that is well below the flash's own jump.
    private func flashReturn(after index: Int) -> Int? {
        guard let jump = distance(index - 1, index) else { return nil }
        let lastIndex = min(index + settings.flashFrames, frameCount - 1)
        guard lastIndex > index else { return nil }
        for j in (index + 1)...lastIndex {
            guard let back = distance(index - 1, j) else { continue }
            if back < settings.threshold / 2 { return j }
            let gap = j - (index - 1)
            if let motion = distance(index - 1 - gap, index - 1), back <= 1.2 * motion, back <= 0.6 * jump {
                return j
            }
        }
        return nil
    }
}
