import Foundation

/// The audio's energy in 10 ms blocks, kept while a VAD runs so that each segment's loudness can
/// be measured at the end without keeping the samples (100 numbers per second of audio).
/// Not thread-safe; a sink owns it on its serial queue.
struct VadLevelTrack {
    let sampleRate: Int
    let blockSamples: Int
    /// Sum of squares per completed block.
    private var blocks: [Double] = []
    private var pendingEnergy = 0.0
    private var pendingSamples = 0
    private(set) var totalSamples = 0

    init(sampleRate: Int = 16_000, blockSeconds: Double = 0.010) {
        self.sampleRate = sampleRate
        blockSamples = max(1, Int((blockSeconds * Double(sampleRate)).rounded()))
    }

    var duration: Double { Double(totalSamples) / Double(sampleRate) }

    mutating func add(_ samples: [Float]) {
        for s in samples {
            pendingEnergy += Double(s) * Double(s)
            pendingSamples += 1
            if pendingSamples == blockSamples {
                blocks.append(pendingEnergy)
                pendingEnergy = 0
                pendingSamples = 0
            }
        }
        totalSamples += samples.count
    }

    /// RMS level in dBFS of [start, end) seconds (from the first sample), to the nearest block;
    /// -120 for digital silence, like `EnergySegmenter`.
    func loudnessDB(from start: Double, to end: Double) -> Double {
        var energies = blocks
        var counts = [Int](repeating: blockSamples, count: blocks.count)
        if pendingSamples > 0 {
            energies.append(pendingEnergy)
            counts.append(pendingSamples)
        }
        let block = Double(blockSamples) / Double(sampleRate)
        let first = max(0, Int((start / block).rounded()))
        let last = min(energies.count, max(first + 1, Int((end / block).rounded())))
        guard first < last else { return EnergySegmenter.decibels(0) }
        var energy = 0.0, samples = 0
        for i in first..<last {
            energy += energies[i]
            samples += counts[i]
        }
        return EnergySegmenter.decibels(energy / Double(max(1, samples)))
    }
}
