import Foundation

/// Speech/silence segmentation by short-time energy with hysteresis, over mono float audio fed
/// in chunks. Levels are RMS dBFS per window. Speech starts at a window at or above `speechDB`;
/// it ends only when the level stays below `speechDB - hysteresisDB` for longer than
/// `minSilence`; speech runs shorter than `minSpeech` become silence. Not thread-safe; a sink
/// owns it on its serial queue.
public struct EnergySegmenter {
    public struct Settings: Sendable, Equatable {
        /// Seconds per analysis window.
        public var window: Double = 0.020
        public var speechDB: Double = -35
        public var hysteresisDB: Double = 6
        /// Seconds; shorter speech runs are silence.
        public var minSpeech: Double = 0.200
        /// Seconds; shorter quiet runs inside speech do not split it.
        public var minSilence: Double = 0.400
        public init() {}
    }

    /// The level reported for digital silence.
    public static let floorDB = -120.0

    public let settings: Settings
    public let sampleRate: Int
    private let windowSamples: Int
    /// Sum of squares per completed window.
    private var windowEnergy: [Double] = []
    private var pendingEnergy = 0.0
    private var pendingSamples = 0
    private var totalSamples = 0
    private var origin: Double?

    public init(settings: Settings = Settings(), sampleRate: Int = 16_000) {
        self.settings = settings
        self.sampleRate = sampleRate
        self.windowSamples = max(1, Int((settings.window * Double(sampleRate)).rounded()))
    }

    /// Feeds the next run of samples; `startTime` of the first chunk anchors the timeline.
    public mutating func process(samples: [Float], startTime: Double) {
        if origin == nil { origin = startTime }
        samples.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                let take = min(windowSamples - pendingSamples, buffer.count - i)
                var sum = 0.0
                for j in i..<(i + take) {
                    let s = Double(buffer[j])
                    sum += s * s
                }
                pendingEnergy += sum
                pendingSamples += take
                i += take
                if pendingSamples == windowSamples {
                    windowEnergy.append(pendingEnergy)
                    pendingEnergy = 0
                    pendingSamples = 0
                }
            }
        }
        totalSamples += samples.count
    }

    /// Contiguous, alternating segments covering [0, end of the audio).
    public func finish() -> [AudioSegment] {
        var energies = windowEnergy
        var counts = [Int](repeating: windowSamples, count: windowEnergy.count)
        if pendingSamples > 0 {
            energies.append(pendingEnergy)
            counts.append(pendingSamples)
        }
        guard !energies.isEmpty else { return [] }
        let isSpeech = classify(levels: zip(energies, counts).map { EnergySegmenter.decibels($0 / Double($1)) })

        // Runs of equal labels → segments, times from sample offsets.
        let start = origin ?? 0
        var segments: [AudioSegment] = []
        var runStart = 0, sampleOffset = 0, runSampleStart = 0, runEnergy = 0.0
        for i in 0..<energies.count {
            if i > 0 && isSpeech[i] != isSpeech[i - 1] {
                segments.append(segment(speech: isSpeech[runStart], from: runSampleStart, to: sampleOffset,
                                        energy: runEnergy, origin: start))
                runStart = i
                runSampleStart = sampleOffset
                runEnergy = 0
            }
            runEnergy += energies[i]
            sampleOffset += counts[i]
        }
        segments.append(segment(speech: isSpeech[runStart], from: runSampleStart, to: sampleOffset,
                                energy: runEnergy, origin: start))
        segments[0].start = min(0, segments[0].start)
        return segments
    }

    private func segment(speech: Bool, from: Int, to: Int, energy: Double, origin: Double) -> AudioSegment {
        let rate = Double(sampleRate)
        return AudioSegment(kind: speech ? .speech : .silence,
                            start: origin + Double(from) / rate, end: origin + Double(to) / rate,
                            loudnessDB: EnergySegmenter.decibels(energy / Double(max(1, to - from))))
    }

    /// RMS dBFS from a mean square, floored at -120.
    static func decibels(_ meanSquare: Double) -> Double {
        guard meanSquare > 1e-12 else { return floorDB }
        return max(floorDB, 10 * log10(meanSquare))
    }

    /// The hysteresis state machine, then the minimum-speech rule; one label per window.
    private func classify(levels: [Double]) -> [Bool] {
        let enter = settings.speechDB
        let leave = settings.speechDB - settings.hysteresisDB
        let minSilenceWindows = settings.minSilence / settings.window
        var labels = [Bool](repeating: false, count: levels.count)
        var inSpeech = false
        var quietStart: Int?  // first window of the current quiet run while in speech
        for (i, level) in levels.enumerated() {
            if !inSpeech {
                if level >= enter {
                    inSpeech = true
                    labels[i] = true
                }
                continue
            }
            if level >= leave {
                if let q = quietStart { for j in q..<i { labels[j] = true } }  // a dip: still speech
                quietStart = nil
                labels[i] = true
            } else {
                if quietStart == nil { quietStart = i }
                if Double(i - quietStart! + 1) > minSilenceWindows {
                    inSpeech = false
                    quietStart = nil
                }
            }
        }
        // A trailing quiet run stays silence: nothing follows it to join.

        // Speech runs shorter than min_speech become silence.
        let minSpeechWindows = settings.minSpeech / settings.window
        var i = 0
        while i < labels.count {
            guard labels[i] else { i += 1; continue }
            var j = i
            while j < labels.count && labels[j] { j += 1 }
            if Double(j - i) < minSpeechWindows - 1e-9 {
                for k in i..<j { labels[k] = false }
            }
            i = j
        }
        return labels
    }
}
